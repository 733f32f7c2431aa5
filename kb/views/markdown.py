"""A record's Markdown as safe HTML: python-markdown, `[[links]]` as anchors, then the nh3 sanitizer.

`render_markdown(text, link_url)` is the only way user Markdown reaches a page. Whatever the text
holds, the result has no `<script>`, no event handler attribute, no `javascript:` (or other unknown
scheme) URL and no inline style: nh3 cleans the whole output, including the anchors made here.

`link_url(slug, target_type)` says where `[[slug]]`, `[[slug|label]]` or `[[type:slug]]` goes
(`target_type` is None for a bare slug); None marks the link broken, drawn as
`<span class="broken-link">`. Links inside code spans, fenced code and HTML comments stay as
written, as `kb.records` reads them.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable

import markdown
import nh3

from kb.records.parse import visible_links

LinkUrl = Callable[[str, "str | None"], "str | None"]

EXTENSIONS = ["extra", "sane_lists"]
ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map", "center"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "span": {"title"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
}
ALLOWED_CLASSES = {"a": {"kb-link"}, "span": {"broken-link"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(fragment: str) -> str:
    """Clean an HTML fragment: ordinary formatting, tables and links stay; anything active goes."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _anchor(match: re.Match, link_url: LinkUrl) -> str:
    target_type, slug, label = match.group(1), match.group(2).strip(), (match.group(3) or "").strip()
    shown = html.escape(label or slug)
    url = link_url(slug, target_type)
    if url is None:
        written = html.escape(match.group(0))
        return f'<span class="broken-link" title="broken link: {written} points to no record">{shown}</span>'
    return f'<a class="kb-link" href="{html.escape(url)}">{shown}</a>'


def render_markdown(text: str, link_url: LinkUrl) -> str:
    """Markdown → sanitized HTML, with `[[links]]` resolved by `link_url`."""
    if not text:
        return ""
    # Anchors go in as placeholders (letters only, unknown to Markdown) and come back after it ran,
    # so a label is never read as Markdown or HTML.
    nonce = secrets.token_hex(6)
    anchors: list[str] = []
    pieces, cursor = [], 0
    for match in visible_links(text):  # links in code and comments stay as written
        anchors.append(_anchor(match, link_url))
        pieces += [text[cursor : match.start()], f"kblink{nonce}x{len(anchors) - 1}x"]
        cursor = match.end()
    prepared = "".join(pieces) + text[cursor:]
    rendered = markdown.markdown(prepared, extensions=EXTENSIONS, output_format="html")
    if anchors:
        rendered = re.sub(rf"kblink{nonce}x(\d+)x", lambda m: anchors[int(m.group(1))], rendered)
    return sanitize(rendered)
