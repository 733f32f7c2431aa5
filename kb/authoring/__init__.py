"""Authoring: what writes a user's files when the user asks for it.

Owns `kb init` and `kb new` from the skeletons (`create`), the case-study form (`story_form`) and the
log-a-call form (`call_form`), each change-only: a save rewrites only what the form changed; a form's
text checked field by field (`form_checks`); one look at the files on disk per save
(`records_on_disk`); a typed customer's slug and new file (`new_customers`); and guarded saving
(`saving`: a file changed on disk since the form opened is never overwritten); call transcripts and
notes read into speaker turns in memory (`transcripts`, `transcript_text`) and imported as interviews
(`importing`).

May import `kb.records`, `kb.config` and below; never the workspace, the views or the interfaces.
"""
