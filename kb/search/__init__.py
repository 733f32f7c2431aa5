"""Search: the Whoosh index of the records and the queries over it.

Owns the text analyzer (`analyzer`), the index schema, each record's document and the writer
(`index`), queries, filters, facets and "did you mean" (`query`), and highlighted snippets
(`snippets`). Whoosh is used through kb's own index objects only: nothing here changes Whoosh's
classes for the rest of the process.

May import `kb.records` and below. Never imports `kb.store`.
"""
