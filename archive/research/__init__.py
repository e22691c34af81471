"""Research workflows beyond a result list: runs, concordance, batch queries, saved searches, citations."""
