"""Views: what a page or a terminal shows, with no web framework and no terminal library.

Owns the lists (`lists`), one record's page (`record_pages`), the search page (`search_page`),
Markdown rendered through the sanitizer (`markdown`), SVG charts (`charts`), the terminal text of
status, metrics and compare (`terminal`) and the JSON and CSV export (`export`).

May import `kb.method`, `kb.search`, `kb.store`, `kb.records`, `kb.table` and below; never Flask or
Click.
"""
