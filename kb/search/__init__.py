"""Search: the Whoosh index of the records and the queries over it.

Owns the text analyzer (`analyzer`), a record's text as a reader reads it (`plain`), the index schema,
each record's document and the writer (`index`), kb's index objects (`codec`), reading a query
(`parsing`), what a query may cost (`limits`), the searchers of an index object (`searchers`),
queries, filters and facets (`query`), "did you mean" (`suggest`), and highlighted snippets
(`snippets`). Whoosh is used through kb's own index objects only: nothing here changes Whoosh's
classes for the rest of the process.

May import `kb.records` and below. Never imports `kb.store`.
"""
