"""Matches on the web pages: text and spans as marked HTML (`archive.render`), safe for Jinja.

`install` adds the template filters `marked` (a text and its spans) and `snippet` (a search
result's passage).
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup

from archive import render
from archive.spans import Snippet, Span


def marked(text: str, spans: list[Span], start: int = 0, end: int | None = None, anchor: str = "") -> Markup:
    """Return text[start:end] as escaped HTML with each span in <mark> (see `archive.render.html`)."""
    return Markup(render.html(text, spans, start, end, anchor))


def snippet(passage: Snippet) -> Markup:
    """Return a snippet as escaped HTML with its matches in <mark>."""
    return Markup(render.snippet_html(passage))


def install(app: Flask) -> None:
    """Add the `marked` and `snippet` template filters to the app."""
    app.add_template_filter(marked, "marked")
    app.add_template_filter(snippet, "snippet")
