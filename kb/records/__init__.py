"""Records: one Markdown file read into a typed record, and written back.

Owns the field registries of each record type and the five questions (`fields`), the Markdown
structure kb reads (`##` sections, `[[links]]`, comments), parsing a file's bytes into a `Record` with
the problems of that file alone (`parse`), the in-place document editor that changes one key or one
section and leaves every other byte (`document`), and the files on disk (`files`: scanning the KB's
folders, content hashes, atomic and guarded writes).

May import `kb.config`, `kb.errors` and `kb.vocabulary`; nothing above it.
"""
