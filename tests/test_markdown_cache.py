"""Rendered Markdown cached by its text: the cache and the one converter per thread never change a page.

A fresh render is one in a thread of its own (so a converter of its own) with the cache emptied; the
cached renderer must give the same HTML for every text of the demo KB, resolve `[[links]]` as they are
now (never as they were when the text was first rendered), key on the remote-images setting, stay within
its bound, and give each of several threads rendering at once its own text's HTML.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from kb.records.parse import parse_bytes, split_sections
from kb.views.markdown import RENDERED, RenderCache, render_markdown
from kb.web import create_app
from tests.helpers import REPO
from tests.web.helpers import close_app

DEMO_SLUGS = {path.stem for folder in ("casestudies", "content") for path in (REPO / folder).rglob("*.md")}
# Texts whose Markdown keeps state while converting (footnotes, abbreviations, reference links), written
# so that state left over from one text would show in the next.
STATEFUL = [
    "The audit[^1] took weeks.\n\n[^1]: Fourteen, by the controller's count.",
    "The audit[^1] took weeks, with no footnote of its own.",
    "*[SOC]: System and Organization Controls\n\nSOC reports.",
    "SOC reports, with no abbreviation of their own.",
    "See [the memo][memo].\n\n[memo]: https://example.com/memo",
    "See [the memo][memo], with no reference of its own.",
]


def link_url(slug: str, target_type: str | None) -> str | None:
    """The demo's records by slug, as the web links them; any other slug is a broken link."""
    return f"/records/{target_type or 'any'}/{slug}" if slug in DEMO_SLUGS else None


def demo_texts() -> list[str]:
    """Every record body of the demo KB, and each of its sections on its own, then the stateful texts."""
    texts = []
    for folder, record_type in (("casestudies", "casestudy"), ("content/customers", "customer")):
        for path in sorted((REPO / folder).rglob("*.md")):
            record = parse_bytes(path.read_bytes(), str(path.relative_to(REPO)), record_type)
            texts += [record.body, *(section.text for section in record.sections)]
    for path in sorted((REPO / "content/interviews").rglob("*.md")):
        record = parse_bytes(path.read_bytes(), str(path.relative_to(REPO)), "interview")
        texts += [record.body, *(section.text for section in split_sections(record.body)[1])]
    return [text for text in texts if text.strip()] + STATEFUL


def fresh(text: str, remote_images: bool = False) -> str:
    """`text` rendered with nothing reused: an empty cache and a converter made for it in a new thread."""
    RENDERED.clear()
    found: list[str] = []
    worker = threading.Thread(target=lambda: found.append(render_markdown(text, link_url, remote_images)))
    worker.start()
    worker.join()
    return found[0]


@pytest.fixture(autouse=True)
def empty_cache():
    RENDERED.clear()
    yield
    RENDERED.clear()


def test_the_demo_renders_the_same_cached_or_fresh():
    texts = demo_texts()
    assert len(texts) > 100 and any("[[" in text for text in texts)
    expected = [fresh(text) for text in texts]
    RENDERED.clear()
    first = [render_markdown(text, link_url) for text in texts]  # one converter reused for every text
    assert len(RENDERED) == len(set(texts))
    again = [render_markdown(text, link_url) for text in texts]  # every one from the cache now
    for text, want, got_first, got_again in zip(texts, expected, first, again, strict=True):
        assert got_first == want, text[:200]
        assert got_again == want, text[:200]
    assert 'class="kb-link"' in "".join(expected) and "<sup" in expected[-6] and "<sup" not in expected[-5]
    assert "<abbr" in expected[-4] and "<abbr" not in expected[-3]
    assert 'href="https://example.com/memo"' in expected[-2] and "example.com" not in expected[-1]


def test_a_link_renders_as_the_records_are_now_not_as_they_were():
    text = "Ask [[acme|the Acme people]] and [[customer:globex]] about `[[code]]`."
    nowhere = render_markdown(text, lambda slug, target_type: None)
    assert nowhere.count('class="broken-link"') == 2 and "<code>[[code]]</code>" in nowhere
    assert "the Acme people" in nowhere and "globex" in nowhere
    cached = len(RENDERED)
    somewhere = render_markdown(text, lambda slug, target_type: f"/{target_type or 'customer'}s/{slug}")
    assert len(RENDERED) == cached  # the same entry, links resolved again
    assert 'class="broken-link"' not in somewhere
    assert re.search(r'<a class="kb-link" href="/customers/acme"[^>]*>the Acme people</a>', somewhere)
    assert re.search(r'<a class="kb-link" href="/customers/globex"[^>]*>globex</a>', somewhere)
    assert render_markdown(text, lambda slug, target_type: None) == nowhere


def test_a_broken_link_becomes_a_link_once_its_record_is_written(kb_root):
    kb_root.customer("acme", name="Acme Corp", stage="lead")
    kb_root.casestudy("acme-story", "acme", answers={"why_change": "Their auditor [[globex-audit]] asked twice."})
    app = create_app(kb_root.root)
    try:
        client = app.test_client()
        before = client.get("/casestudies/acme-story")
        assert before.status_code == 200
        assert re.search(r'<span class="broken-link"[^>]*>globex-audit</span>', before.text), before.text
        kb_root.interview("globex-audit", "acme", "2026-03-02")
        after = client.get("/casestudies/acme-story")  # a request brings .kb/ up to date with the files
        assert re.search(
            r'<a class="kb-link" href="/interviews/globex-audit" title="globex-audit"[^>]*>Mar 2 discovery</a>',
            after.text,
        )
        assert "broken-link" not in after.text.split("Their auditor")[1].split("</p>")[0]
        (kb_root.root / "content/interviews/globex-audit.md").unlink()
        gone = client.get("/casestudies/acme-story")
        assert re.search(r'<span class="broken-link"[^>]*>globex-audit</span>', gone.text)
    finally:
        close_app(app)


def test_the_remote_images_setting_is_part_of_the_key():
    text = "The chart: ![burn-down](https://example.com/chart.png)"
    unloaded = render_markdown(text, link_url, remote_images=False)
    loaded = render_markdown(text, link_url, remote_images=True)
    assert 'class="remote-image"' in unloaded and "<img" not in unloaded
    assert re.search(r'<img [^>]*src="https://example.com/chart.png"', loaded) and "remote-image" not in loaded
    assert len(RENDERED) == 2
    assert render_markdown(text, link_url, remote_images=False) == unloaded
    assert loaded == fresh(text, remote_images=True) and unloaded == fresh(text)


def test_the_cache_stays_within_its_bound(monkeypatch):
    monkeypatch.setattr(RENDERED, "max_chars", 40_000)
    texts = [f"Note {n}: the audit took {n} weeks. " * 20 + f"[[acme-{n}]]" for n in range(400)]
    for n, text in enumerate(texts):
        render_markdown(text, link_url)
        render_markdown(texts[0], link_url)  # the first one stays in use, so it stays
        assert RENDERED.used <= 40_000, n
    assert 10 < len(RENDERED) < 100
    rendered_again = render_markdown(texts[-1], link_url)
    assert rendered_again == fresh(texts[-1])


@dataclass(frozen=True)
class Entry:
    """Anything the cache holds has a size in characters."""

    size: int


def test_least_recently_used_goes_first_and_an_entry_larger_than_the_bound_is_not_kept():
    cache = RenderCache(max_chars=3_000)
    for name in (b"one", b"two", b"three"):
        cache.put(name, Entry(1_000))
    assert cache.get(b"one") is not None  # now the most recently used
    cache.put(b"four", Entry(1_000))
    assert cache.get(b"two") is None
    assert [cache.get(name) is not None for name in (b"one", b"three", b"four")] == [True, True, True]
    assert cache.used == 3_000 and len(cache) == 3
    cache.put(b"one", Entry(500))  # the same key again: counted once, at its new size
    assert cache.used == 2_500 and len(cache) == 3
    cache.put(b"huge", Entry(3_001))
    assert cache.get(b"huge") is None and len(cache) == 3


def test_a_text_larger_than_the_bound_renders_but_is_not_kept(monkeypatch):
    monkeypatch.setattr(RENDERED, "max_chars", 40_000)
    render_markdown("A short note.", link_url)
    huge = "The audit [[kestrel-payroll]] took weeks. " * 1_500
    assert render_markdown(huge, link_url) == fresh(huge)
    RENDERED.clear()
    render_markdown("A short note.", link_url)
    render_markdown(huge, link_url)
    assert len(RENDERED) == 1 and RENDERED.used < 100


def test_threads_rendering_at_once_each_get_their_own_texts_html():
    texts = demo_texts()
    expected = {text: fresh(text) for text in texts}
    RENDERED.clear()
    start = threading.Barrier(8)

    def render_all(offset: int) -> list[tuple[str, str]]:
        start.wait()
        order = texts[offset:] + texts[:offset]  # each thread in its own order: misses and hits interleave
        return [(text, render_markdown(text, link_url)) for text in order * 2]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(render_all, range(0, 8 * 13, 13)))
    wrong = [text[:80] for found in results for text, got in found if got != expected[text]]
    assert wrong == []


def test_a_link_inside_an_attribute_or_with_markup_in_its_label_stays_text():
    text = 'See ![chart of [[acme]]](/local.png "drawn by [[acme|<b>Acme</b>]]") and [[acme|*not* <i>markup</i>]].'
    for _ in range(2):  # fresh, then from the cache
        rendered = render_markdown(text, lambda slug, target_type: f"/customers/{slug}")
        assert "kblink" not in rendered
        assert 'alt="chart of acme"' in rendered and 'title="drawn by &lt;b&gt;Acme&lt;/b&gt;"' in rendered
        label = r"\*not\* &lt;i&gt;markup&lt;/i&gt;"
        assert re.search(rf'<a class="kb-link" href="/customers/acme"[^>]*>{label}</a>', rendered)
