"""The distributed engine: a sharded, mirrored Sphinx 2.2 (or Manticore) cluster behind the engine seam.

Only this package talks to Sphinx. It speaks SphinxQL over the MySQL protocol (pymysql). The
archive analyses text itself (the same tokens, folding and stems as the Whoosh engine) and hands
the cluster encoded tokens, so both engines read a query the same way (DESIGN.md §11).
"""
