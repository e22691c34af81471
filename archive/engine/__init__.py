"""The search engines behind one interface (`base.Engine`), chosen by the settings (`choice.py`).

`whoosh/` is the only package that imports Whoosh, `sphinx/` the only one that talks to Sphinx;
the modules beside them are shared by both. Nothing here is imported eagerly: importing
`archive.engine` loads no engine.
"""
