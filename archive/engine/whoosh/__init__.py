"""The Whoosh engine: the only package that imports Whoosh (DESIGN.md §1).

An index keeps its schema pickled in its table of contents, and pickles name classes by module:
indexes written before this package existed name the analysers and fields as
`archive.engine.analysis` and `archive.engine.fields`. Those names stay importable, as the
modules of this package, so that such indexes open without a rebuild.
"""

import sys

from archive.engine.whoosh import analysis, fields

sys.modules.setdefault("archive.engine.analysis", analysis)
sys.modules.setdefault("archive.engine.fields", fields)
