"""Cleaning: decode a source file, strip boilerplate with a reason for each removal, read metadata."""

from archive.clean.decode import decode_bytes, looks_binary
from archive.clean.html import CleanHtml, clean_html
from archive.clean.learn import learn_repeated_lines
from archive.clean.text import CleanText, clean_text

# Stored with every document; a change re-cleans files whose bytes did not change (DESIGN.md §7).
PIPELINE_VERSION = "3"

__all__ = ["PIPELINE_VERSION", "CleanHtml", "CleanText", "clean_html", "clean_text", "decode_bytes",
           "learn_repeated_lines", "looks_binary"]
