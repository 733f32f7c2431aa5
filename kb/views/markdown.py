"""A record's Markdown as safe HTML: python-markdown, `[[links]]` as anchors, then the nh3 sanitizer.

`render_markdown(text, link_url)` is the only way user Markdown reaches a page. Whatever the text
holds, the result has no `<script>`, no event handler attribute, no `javascript:` (or other unknown
scheme) URL and no inline style: nh3 cleans the whole output, including the anchors made here.

`link_url(slug, target_type)` says where `[[slug]]`, `[[slug|label]]` or `[[type:slug]]` goes
(`target_type` is None for a bare slug); None marks the link broken, drawn as
`<span class="broken-link">`. Links inside code spans, fenced code and HTML comments stay as
written, as `kb.records` reads them.

Images from other sites are not loaded: a pasted note may carry a tracking image, and opening the
record would tell its sender. Such an `<img>` becomes a link to the image (class `remote-image`)
showing its alt text, so nothing is hidden. With `remote_images=True` (kb.toml's `remote_images`),
`https://` images stay images; other remote ones (`http://`, `//host`) become links all the same,
as the page's Content-Security-Policy would block them anyway.
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
# nh3 writes every tag alike: attributes in double quotes, with `"`, `&`, `<` and `>` escaped.
_IMG_RE = re.compile(r"<img\b([^>]*)>")
_ATTRIBUTE_RE = re.compile(r'([a-z-]+)="([^"]*)"')
# What a browser reads past in a URL: leading spaces and controls, tabs and newlines anywhere.
_URL_NOISE_RE = re.compile(r"^[\x00-\x20]+|[\t\n\r]")


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


def _remote(src: str, remote_images: bool) -> bool:
    """Whether the browser would fetch `src` from another site (https ones allowed if `remote_images`)."""
    url = _URL_NOISE_RE.sub("", html.unescape(src)).lower()
    if remote_images and url.startswith("https:"):
        return False
    # A scheme, or two slashes either way (`//host`, `\\host`, `/\host`: all another host to a browser).
    return bool(re.match(r"[a-z][a-z0-9+.-]*:|[/\\]{2}", url))


def _unloaded_images(cleaned: str, remote_images: bool) -> str:
    """Each remote `<img>` of sanitized HTML as a link to it, showing its alt text."""

    def replace(match: re.Match) -> str:
        attributes = dict(_ATTRIBUTE_RE.findall(match.group(1)))
        src = attributes.get("src", "")
        if not _remote(src, remote_images):
            return match.group(0)
        # The values are still escaped as nh3 wrote them: they go back in as they are.
        shown = attributes.get("alt") or src
        return (
            f'<a class="remote-image" href="{src}" rel="noopener noreferrer" '
            f'title="an image on another site, not loaded: {src}">image: {shown}</a>'
        )

    return _IMG_RE.sub(replace, cleaned)


def _anchor(match: re.Match, link_url: LinkUrl) -> str:
    target_type, slug, label = match.group(1), match.group(2).strip(), (match.group(3) or "").strip()
    shown = html.escape(label or slug)
    url = link_url(slug, target_type)
    if url is None:
        written = html.escape(match.group(0))
        return f'<span class="broken-link" title="broken link: {written} points to no record">{shown}</span>'
    return f'<a class="kb-link" href="{html.escape(url)}">{shown}</a>'


def render_markdown(text: str, link_url: LinkUrl, remote_images: bool = False) -> str:
    """Markdown → sanitized HTML, with `[[links]]` resolved by `link_url` and remote images as links."""
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
    return _unloaded_images(sanitize(rendered), remote_images)
