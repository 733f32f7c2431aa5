"""A record's text as a reader reads it, for the index and its snippets: without the skeleton's prompts
(HTML comments), a link as the words it shows, and a web address as its site alone.

The target of a link is not the founder's words: indexed, `[Acme's pricing](https://acme.com/pricing?ref=x)`
made "https", "pricing", "ref" and "x" words of the record, and the snippet showed the Markdown. A bare
address keeps its host ("acme.com", one word): the site is worth finding, its path and query are not.
"""

from __future__ import annotations

import re

from kb.records.parse import COMMENT_RE, LINK_RE

# [text](target) and ![alt](source), with an optional "title" in the parentheses.
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\(\s*<?[^()\s<>]*>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
# A web address, bare or in <angle brackets>; group 1 is its host. A stop or comma right after it ends
# the sentence, not the address.
_ADDRESS = re.compile(
    r"<?\b(?:https?|ftp)://(?:[^\s/?#@<>]*@)?(?:www\.)?([^\s/?#:<>()\[\]\"',;!]*[^\s/?#:<>()\[\]\"',;!.])"
    r"(?:[^\s<>()\[\]\"']*[^\s<>()\[\]\"'.,;:!?])?>?",
    re.I,
)


def plain_text(text: str) -> str:
    """`text` without comments, each link as its label (a `[[link]]` without one as its slug), and each
    web address as its host."""
    # Each pattern only where its mark is: most texts have no link and no address.
    if "<!--" in text:
        text = COMMENT_RE.sub("", text)
    if "[" in text:
        text = LINK_RE.sub(lambda m: m.group(3) or m.group(2), text)
        text = _MARKDOWN_LINK.sub(lambda m: m.group(1), text)
    if "://" in text:
        text = _ADDRESS.sub(lambda m: m.group(1), text)
    return text.strip()
