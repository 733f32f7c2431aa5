"""Authoring: what writes a user's files when the user asks for it.

Owns `kb init` and `kb new` from the skeletons (`create`), the case-study form and the log-a-call form
(each change-only: a save rewrites only what the form changed), and guarded saving (a file changed on
disk since the form opened is never overwritten).

May import `kb.records`, `kb.config` and below (and `kb.workspace`'s scan of the files); never the
views or the interfaces.
"""
