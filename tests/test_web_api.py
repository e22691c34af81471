"""The JSON API checked against its OpenAPI description (web/static/openapi.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from clirun import invoke
from jsonschema import Draft202012Validator

SPEC = json.loads((Path(__file__).resolve().parent.parent / "web" / "static" / "openapi.json").read_text())


def check(response, path: str, status: int) -> dict:  # type: ignore[no-untyped-def]
    """Validate a response against the schema the spec gives for this path and status."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    spec = SPEC["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    schema = {**spec, "components": SPEC["components"]}
    data = response.get_json()
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(data)]
    assert not errors, errors
    return data


def test_the_spec_is_valid_and_served(client):
    schema = {**SPEC["components"]["schemas"]["SearchResult"], "components": SPEC["components"]}
    Draft202012Validator.check_schema(schema)
    assert SPEC["openapi"].startswith("3.1")
    assert client.get("/api/openapi.json").get_json() == SPEC


def test_every_path_in_the_spec_is_a_route_of_the_app(app):
    rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule).replace("{doc_id}", "{id}") for r in app.url_map.iter_rules()}
    assert set(SPEC["paths"]) <= rules


@pytest.mark.parametrize("params", [
    {"q": '"border closes"'}, {"q": "oil", "limit": 3, "offset": 2}, {"q": "oil", "source": "Valley Courier"},
    {"q": "zzyzxnotaword"}, {"year": "2021", "limit": 0}, {"q": "econom*"}, {"q": "title:hyesan OR lang:ko"},
])
def test_search_responses_match_the_spec(client, params):
    data = check(client.get("/api/search", query_string=params), "/api/search", 200)
    assert data["limit"] == params.get("limit", 10) and data["offset"] == params.get("offset", 0)
    assert len(data["hits"]) <= data["limit"]


def test_search_without_a_query_or_with_bad_numbers_is_a_400_of_the_spec(client):
    for params in [{}, {"q": "AND OR"}, {"q": "oil", "limit": "ten"}, {"q": "oil", "sort": "random"}]:
        check(client.get("/api/search", query_string=params), "/api/search", 400)


def test_api_search_is_the_same_object_as_the_cli(client, sample_index):


    out = invoke("search", "--json", "--index", str(sample_index), "oil prices")
    api = client.get("/api/search", query_string={"q": "oil prices"}).get_json()
    assert json.loads(out.output) == api


def test_document_responses_match_the_spec(client):
    hit = client.get("/api/search", query_string={"q": "oil"}).get_json()["hits"][0]
    plain = check(client.get(f"/api/doc/{hit['id']}"), "/api/doc/{id}", 200)
    assert plain["id"] == hit["id"] and "marked" not in plain and hit["path"] in plain["copies"]
    marked = check(client.get(f"/api/doc/{hit['id']}", query_string={"q": "oil"}), "/api/doc/{id}", 200)
    shown = marked["marked"]
    assert shown["count"] == shown["text_html"].count("<mark>") + shown["title_html"].count("<mark>")


@pytest.mark.parametrize("doc_id", ["0000000000000000", "..%2F..%2Fetc%2Fpasswd", "XYZ"])
def test_unknown_documents_are_a_404_of_the_spec(client, doc_id):
    check(client.get(f"/api/doc/{doc_id}"), "/api/doc/{id}", 404)
