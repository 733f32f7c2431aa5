"""Store: the SQLModel database, a cache of the records keyed by each file's path.

Owns the tables (`models`), the one engine factory and keeping rows in step with parsed records
(`engine`), the problems across files kept up to date as the store is written (`cross_problems`), and
reading the store back for the layers above (`catalog`: slugs, link resolution, the facts the method needs).

May import `kb.records` and below. Never imports `kb.search`: store and search both consume records,
and `kb.workspace` drives both.
"""
