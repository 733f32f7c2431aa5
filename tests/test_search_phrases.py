"""Phrases through the common-word pairs (kb.search.parsing.KbPhrase) find the same records, in the same
order and with the same scores, as Whoosh's exact positional phrase search; and a phrase answers through
`search` with its snippets, inside a field and beside other words.

Hypothesis runs with a fixed seed (derandomize) and no example database.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage

from kb.config import Kb
from kb.search.analyzer import COMMON_WORDS, common_pairs
from kb.search.index import DEFAULT_FIELD, PAIRS_FIELD, make_schema, open_index
from kb.search.parsing import KbPhrase, make_parser
from kb.search.query import search
from kb.search.snippets import MARK_END, MARK_START
from kb.workspace import Workspace
from tests.helpers import KbFolder

# Common words, stop words (dropped by the analyzer), ordinary words, a repeated stem, slashed words.
VOCABULARY = ["was", "they", "about", "our", "the", "a", "of", "audit", "audits", "evidence", "request"]
VOCABULARY += ["renewal", "customer", "A/B", "client/server", "x", "Was", "THEY", "soc2", "v1.2"]


def _index(texts: list[list[str]]):
    """An index of `texts` (one list per segment) with kb's schema: `all` and its pairs."""
    ix = RamStorage().create_index(make_schema())
    number = 0
    for segment in texts:
        with ix.writer() as writer:
            for text in segment:
                writer.add_document(path=f"doc{number}", all=text, pairs=text)
                number += 1
    return ix


def _hits(searcher, q) -> list[tuple[str, float]]:
    return [(hit["path"], hit.score) for hit in searcher.search(q, limit=None)]


def _same_as_whoosh(ix, phrase: str) -> None:
    with ix.searcher() as searcher:
        parsed = make_parser(ix.schema).parse(f'"{phrase}"')
        leaves = [parsed] if isinstance(parsed, wq.Phrase) else []
        for leaf in leaves:
            assert type(leaf) is KbPhrase
            exact = wq.Phrase(leaf.fieldname, list(leaf.words), slop=leaf.slop, boost=leaf.boost)
            assert _hits(searcher, leaf) == _hits(searcher, exact), phrase


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(words))


def test_pairs_of_common_words():
    assert common_pairs(["wa", "thei", "our", "audit", "evid", "our", "wa"]) == ["wa thei", "thei our", "our wa"]
    assert {"was", "they", "about", "our"} <= COMMON_WORDS


def test_generated_corpus_same_hits_order_and_scores():
    rng = random.Random(7)
    texts = [[_text(rng, rng.randint(0, 60)) for _ in range(60)] for _ in range(3)]
    ix = _index(texts)
    phrases = ["was they", "about our", "evidence request", "customer renewal", "they was they"]
    phrases += ["was was", "audit audits", "our A/B", "the was", "was the they", "they about our audit"]
    phrases += ["client server", "client/server was", "soc2 v1.2", "Was THEY", "x was", "was x they"]
    phrases += [_text(rng, rng.randint(2, 4)) for _ in range(60)]
    for phrase in phrases:
        _same_as_whoosh(ix, phrase)


@settings(derandomize=True, database=None, max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    segments=st.lists(
        st.lists(st.lists(st.sampled_from(VOCABULARY), max_size=30).map(" ".join), min_size=1, max_size=12),
        min_size=1,
        max_size=3,
    ),
    phrase=st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=4).map(" ".join),
)
def test_property_same_as_whoosh(segments: list[list[str]], phrase: str):
    _same_as_whoosh(_index(segments), phrase)


def test_a_boosted_phrase_and_a_phrase_with_slop_are_whooshs():
    ix = _index([["they said it was they", "was they", "they was"]])
    with ix.searcher() as searcher:
        for words, slop, boost in ((["wa", "thei"], 1, 2.5), (["wa", "thei"], 3, 1.0)):
            ours = KbPhrase(DEFAULT_FIELD, words, slop=slop, boost=boost)
            assert _hits(searcher, ours) == _hits(searcher, wq.Phrase(DEFAULT_FIELD, words, slop=slop, boost=boost))


def test_the_pairs_field_holds_only_pairs_with_a_common_word():
    ix = _index([["evidence request was they about audit"]])
    with ix.reader() as reader:
        terms = sorted(t.decode() for t in reader.lexicon(PAIRS_FIELD))
    assert terms == ["thei about", "wa thei"]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("phrases")
    folder = KbFolder(root)
    folder.customer("acme")
    folder.interview(
        "2026-03-05-acme-discovery",
        "acme",
        "2026-03-05",
        body="## Notes\nThey said the audit was they who asked. About our evidence request, nothing yet.\n",
    )
    folder.interview("2026-03-06-acme-demo", "acme", "2026-03-06", kind="demo", body="## Notes\nThey was late.\n")
    folder.casestudy("acme-story", "acme", answers={"why_change": "They failed the audit: it was they who paid."})
    workspace = Workspace(Kb(root))
    workspace.refresh()
    workspace.close()
    ix = open_index(root / ".kb")
    yield ix
    ix.close()


def test_search_a_phrase_with_common_words(kb):
    result = search(kb, '"was they"')
    assert sorted(hit.slug for hit in result.hits) == ["2026-03-05-acme-discovery", "acme-story"]
    assert result.total == 2
    for hit in result.hits:
        assert f"{MARK_START}was{MARK_END}" in hit.snippet and f"{MARK_START}they{MARK_END}" in hit.snippet


def test_a_phrase_inside_a_field_and_beside_other_words(kb):
    assert [hit.slug for hit in search(kb, 'why_change:"was they"').hits] == ["acme-story"]
    assert [hit.slug for hit in search(kb, '"was they" evidence').hits] == ["2026-03-05-acme-discovery"]
    assert {hit.slug for hit in search(kb, '"they was" OR "evidence request"').hits} == {
        "2026-03-06-acme-demo",
        "2026-03-05-acme-discovery",
    }
    assert search(kb, '"they was" NOT demo').total == 0
    assert search(kb, '"our evidence request"').total == 1
    assert search(kb, '"was they asked"').total == 0
