"""Show untrusted text on one line: control characters in file names and document fields escaped.

A file named `a.txt\\nfailed: /etc/passwd` would otherwise forge a line of the ingest summary,
of a log or of `archive search` output, and an escape sequence in a title could drive the
terminal. Every control character (C0, DEL, C1, and the Unicode line and paragraph separators)
is written as a visible escape (`\\n`, `\\x1b`, `\\u2028`); other text, CJK included, is unchanged.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: object) -> str:
    """Return the text with each control character replaced by a visible escape."""
    return _CONTROL.sub(_escape, str(text))


def _escape(m: re.Match) -> str:
    c = m.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


class PrintableArgs(logging.Filter):
    """A logging filter that escapes control characters in the values put into log messages.

    The message templates are the archive's own (they may hold line breaks on purpose); the
    values (file names, titles, reasons) come from outside and are shown on one line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(printable(a) if isinstance(a, str) or hasattr(a, "__fspath__") else a
                                for a in record.args)
        return True
