"""A record's Markdown as safe HTML: python-markdown, `[[links]]` as anchors, then the nh3 sanitizer.

`render_markdown(text, link_url)` is the only way user Markdown reaches a page. Whatever the text
holds, the result has no `<script>`, no event handler attribute, no `javascript:` (or other unknown
scheme) URL and no inline style: nh3 cleans the whole output, including the anchors made here.

`link_url(slug, target_type)` says where `[[slug]]`, `[[slug|label]]` or `[[type:slug]]` goes
(`target_type` is None for a bare slug); None marks the link broken, drawn as
`<span class="broken-link">`. It may answer a `LinkTarget` instead of a URL, with a label that a link
written without its own shows in place of the slug (a call's `Jan 14 check-in`), the slug on hover: as
it is asked at each render, the cache holds nothing that a label depends on. Links inside code spans,
fenced code and HTML comments stay as written, as `kb.records` reads them. A bare web address or
e-mail address is a link too (pymdownx.magiclink); `javascript:` and the like never are.

Images from other sites are not loaded: a pasted note may carry a tracking image, and opening the
record would tell its sender. Such an `<img>` becomes a link to the image (class `remote-image`)
showing its alt text, so nothing is hidden. With `remote_images=True` (kb.toml's `remote_images`),
`https://` images stay images; other remote ones (`http://`, `//host`) become links all the same,
as the page's Content-Security-Policy would block them anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import markdown
import nh3

from kb.records.parse import visible_links, visible_text
from kb.records.quotes import BLOCK_ID, anchor, split_target


@dataclass(frozen=True)
class LinkTarget:
    """Where a link goes, and what a link written without a label shows instead of its slug (a call's date)."""

    url: str
    label: str | None = None
    title: str | None = None  # shown on hover; the link as written when None


LinkUrl = Callable[[str, "str | None"], "str | LinkTarget | None"]

# magiclink: a bare address (https://…, www.…, an e-mail) pasted into a note is a link; nh3 still judges its scheme.
EXTENSIONS = ["extra", "sane_lists", "pymdownx.magiclink"]
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
# Sanitized HTML as its tags and the text between them (nh3 escapes every `<` and `>` in text and values).
_TAG_SPLIT_RE = re.compile(r"(<[^>]*>)")
# A block id at the end of a line, after a space: `> We failed the audit twice. — Maya ^failed-audit`.
_BLOCK_AT_END = re.compile(rf"(?<=[ \t])\^({BLOCK_ID})[ \t]*$", re.M)
# What the cache of rendered texts holds at most, in characters (about 4,000 answers of 4 KB).
CACHE_CHARS = 16_000_000


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


@dataclass(frozen=True)
class _Link:
    """A `[[link]]` as written: what it points to and what it shows; resolved at each render."""

    target_type: str | None
    slug: str
    label: str
    written: str
    block: str | None = None  # the quote it cites in that record: the page's place of it
    labelled: bool = False  # written with its own label (`[[slug|label]]`), which it always shows


@dataclass(frozen=True)
class _Rendered:
    """A text rendered and sanitized, with `[[links]]` left as placeholders: it depends on the text alone."""

    html: str
    nonce: str
    links: tuple[_Link, ...]

    @property
    def size(self) -> int:
        return len(self.html) + sum(len(link.written) + len(link.label) + len(link.slug) for link in self.links)


class RenderCache:
    """The rendered HTML of the texts seen last, keyed by a hash of the text and the image setting.

    Bounded by the characters it holds (least recently used first out), and safe across threads.
    Links are not resolved in what it holds, so a record appearing or going away never makes it stale.
    """

    def __init__(self, max_chars: int = CACHE_CHARS):
        self.max_chars = max_chars
        self.used = 0
        self._entries: OrderedDict[bytes, _Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> _Rendered | None:
        """The entry for `key`, now the most recently used, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: bytes, rendered: _Rendered) -> None:
        """Keep `rendered`, dropping the least recently used entries beyond the bound."""
        if rendered.size > self.max_chars:
            return  # one huge text would push out everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.used -= old.size
            self._entries[key] = rendered
            self.used += rendered.size
            while self.used > self.max_chars:
                _key, dropped = self._entries.popitem(last=False)
                self.used -= dropped.size

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self.used = 0

    def __len__(self) -> int:
        return len(self._entries)


RENDERED = RenderCache()
_converters = threading.local()


def _to_html(text: str) -> str:
    """python-markdown on `text`, through this thread's one converter (building one costs more than most texts)."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
    try:
        return converter.convert(text)
    finally:
        converter.reset()  # footnotes, abbreviations and the like belong to one text only


def _render(text: str, remote_images: bool) -> _Rendered:
    # Links go in as placeholders (letters only, unknown to Markdown) and stay so in what is cached,
    # so a label is never read as Markdown or HTML and a link is resolved at each render.
    nonce = secrets.token_hex(6)
    text, blocks = _block_ids(text, nonce)
    links: list[_Link] = []
    pieces, cursor = [], 0
    for match in visible_links(text):  # links in code and comments stay as written
        target_type, target, label = match.group(1), match.group(2).strip(), (match.group(3) or "").strip()
        slug, block = split_target(target)
        links.append(_Link(target_type, slug, label or target, match.group(0), block, bool(label)))
        pieces += [text[cursor : match.start()], f"kblink{nonce}x{len(links) - 1}x"]
        cursor = match.end()
    prepared = "".join(pieces) + text[cursor:]
    cleaned = sanitize(_to_html(prepared))
    if blocks:
        # A block id (a quote's, `^failed-audit`) is the place a citation of it leads to.
        placeholder = re.compile(rf"kbblock{nonce}x(\d+)x")
        cleaned = _TAG_SPLIT_RE.sub(
            lambda tag: placeholder.sub(lambda m: f"^{blocks[int(m.group(1))]}", tag.group(0)), cleaned
        )
        cleaned = placeholder.sub(lambda m: _block_anchor(blocks[int(m.group(1))]), cleaned)
    if links:
        # A link written inside an attribute (an image's alt text, a title) is its label there, never markup.
        placeholder = re.compile(rf"kblink{nonce}x(\d+)x")
        cleaned = _TAG_SPLIT_RE.sub(
            lambda tag: placeholder.sub(lambda m: html.escape(links[int(m.group(1))].label), tag.group(0)), cleaned
        )
    return _Rendered(_unloaded_images(cleaned, remote_images), nonce, tuple(links))


def _block_ids(text: str, nonce: str) -> tuple[str, list[str]]:
    """The text with each block id ending a line (outside code and comments) made a placeholder, and the ids."""
    blocks: list[str] = []
    pieces, cursor = [], 0
    for match in _BLOCK_AT_END.finditer(visible_text(text)):
        blocks.append(match.group(1))
        pieces += [text[cursor : match.start(1) - 1], f"kbblock{nonce}x{len(blocks) - 1}x"]
        cursor = match.end(1)
    return "".join(pieces) + text[cursor:], blocks


def _block_anchor(block: str) -> str:
    """A block id as its place on the page: a link to itself, so that it can be copied."""
    place = anchor(block)  # a block id is letters, digits and dashes: safe in an attribute as it is
    return f'<a class="block-id" id="{place}" href="#{place}" title="cite as [[this-call#^{block}]]">^{block}</a>'


@lru_cache(maxsize=4096)
def _clean_anchor(fragment: str) -> str:
    return sanitize(fragment)


def _anchor(link: _Link, link_url: LinkUrl) -> str:
    shown = html.escape(link.label)
    found = link_url(link.slug, link.target_type)
    hover = ""
    if isinstance(found, LinkTarget):
        # A label the target offers (a call's date and kind) stands for the slug; the author's own stays.
        if found.label and not link.labelled:
            shown = html.escape(found.label)
            hover = f' title="{html.escape(found.title or link.written.strip("[]"))}"'
        found = found.url
    url = found
    if url is not None and link.block:
        url = f"{url}#{anchor(link.block)}"
    if url is None:
        written = html.escape(link.written)
        fragment = f'<span class="broken-link" title="broken link: {written} points to no record">{shown}</span>'
    else:
        fragment = f'<a class="kb-link" href="{html.escape(url)}"{hover}>{shown}</a>'
    return _clean_anchor(fragment)  # as the sanitizer would have written it inside the whole text


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def code_spans(text: str) -> str:
    """A plain message (a problem, a milestone) as HTML: escaped, its `code` drawn as <code>, no backtick left."""
    return _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text, quote=False))


def call_label(date: dt.date | None, kind: str | None) -> str | None:
    """What a citation of a call shows in place of its slug: `Jan 14 check-in` (None when neither is known)."""
    when = f"{date:%b} {date.day}" if date else ""
    what = kind or ("call" if date else "")
    return f"{when} {what}".strip() or None


def render_markdown(text: str, link_url: LinkUrl, remote_images: bool = False) -> str:
    """Markdown → sanitized HTML, with `[[links]]` resolved by `link_url` and remote images as links."""
    if not text:
        return ""
    key = hashlib.sha256(f"{int(remote_images)}:{text}".encode("utf-8", "surrogatepass")).digest()
    rendered = RENDERED.get(key)
    if rendered is None:
        rendered = _render(text, remote_images)
        RENDERED.put(key, rendered)
    if not rendered.links:
        return rendered.html
    anchors = [_anchor(link, link_url) for link in rendered.links]
    # Placeholders are left in text only (see _render): each becomes its anchor.
    return re.sub(rf"kblink{rendered.nonce}x(\d+)x", lambda m: anchors[int(m.group(1))], rendered.html)
