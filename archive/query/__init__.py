"""The query language: a parser that builds an engine-independent query tree."""

from archive.query.parser import ParsedQuery, parse
from archive.query.tree import And, DateRange, Everything, Not, Or, Phrase, Term, Value, positive_leaves

__all__ = ["And", "DateRange", "Everything", "Not", "Or", "ParsedQuery", "Phrase", "Term", "Value", "parse",
           "positive_leaves"]
