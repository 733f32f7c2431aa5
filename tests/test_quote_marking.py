"""Marking a quote: the rule for what is written into a call when words of its page are selected.

Hypothesis runs with a fixed seed (derandomize) and no example database, so every run tries the same files.
"""

from __future__ import annotations

from textwrap import dedent

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.authoring.quote_marking import CannotMark, block_ids, check_id, mark_quote, parse_tags, suggest_id
from kb.records.parse import parse_bytes

PATH = "content/interviews/2026-01/2026-01-12-acme-discovery.md"

CALL = dedent(
    """\
    ---
    customer: acme
    date: 2026-01-12
    kind: discovery
    people:
      - Maya Chen, Head of Compliance
    ---

    ## Notes
    Maya runs the audit with a **38-tab** spreadsheet from [[acme|Acme's]] consultant,
    and nobody has collected evidence since September.

    > We failed the audit twice. — Maya Chen

    > Nobody looked at the alerts. — Maya Chen ^no-alerts

    ## Transcript

    **Maya Chen** (00:12:04): The board asked why we failed the audit &amp; nobody could say.

    **Tomás Reyes** (00:12:30): What did the auditor ask for first?

    <!-- Maya asked us not to quote the renewal numbers. -->

    ```
    renewal numbers in code
    ```
    """
)


def quotes_of(text: str):
    record = parse_bytes(text.encode("utf-8"), PATH, "interview")
    return {quote.block: quote for quote in record.quotes}, record.problems


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines only in `before` and only in `after`, by position around the one place that changed."""
    old, new = before.split("\n"), after.split("\n")
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return old[head : len(old) - tail], new[head : len(new) - tail]


# --- each case of the rule -----------------------------------------------------------------------------


def test_a_blockquote_without_an_id_gets_the_id_and_the_tags_before_its_speaker():
    marked = mark_quote(CALL, "We failed the audit twice. — Maya Chen", tags="audit, #board")
    assert marked.block == "we-failed-the-audit"
    assert not marked.added
    assert changed_lines(CALL, marked.text) == (
        ["> We failed the audit twice. — Maya Chen"],
        ["> We failed the audit twice. #audit #board — Maya Chen ^we-failed-the-audit"],
    )
    quote = quotes_of(marked.text)[0]["we-failed-the-audit"]
    assert (quote.text, quote.speaker, quote.tags) == (
        "We failed the audit twice. #audit #board",
        "Maya Chen",
        ["audit", "board"],
    )
    assert marked.text.split("\n")[marked.line - 1].endswith("^we-failed-the-audit")


def test_a_quote_that_has_an_id_is_refused():
    with pytest.raises(CannotMark, match=r"already quoted as \^no-alerts"):
        mark_quote(CALL, "Nobody looked at the alerts")


def test_a_transcript_turn_gets_a_quote_after_it_with_its_speaker_and_is_left_as_it_was():
    selection = "Maya Chen (00:12:04): The board asked why we failed the audit & nobody could say."
    marked = mark_quote(CALL, selection, tags="board")
    assert marked.added
    turn = "**Maya Chen** (00:12:04): The board asked why we failed the audit &amp; nobody could say."
    quote_line = "> The board asked why we failed the audit & nobody could say. #board — Maya Chen ^the-board-asked-why"
    lines = marked.text.split("\n")
    assert lines[marked.line - 3 : marked.line + 1] == [turn, "", quote_line, ""]
    assert "\n".join(lines[: marked.line - 2] + lines[marked.line :]) == CALL
    quote = quotes_of(marked.text)[0]["the-board-asked-why"]
    assert (quote.speaker, quote.tags) == ("Maya Chen", ["board"])


def test_part_of_a_plain_paragraph_is_quoted_without_a_speaker_after_the_paragraph():
    marked = mark_quote(CALL, "a 38-tab spreadsheet from Acme's consultant,\nand nobody has collected evidence")
    lines = marked.text.split("\n")
    assert lines[marked.line - 3 : marked.line + 1] == [
        "and nobody has collected evidence since September.",
        "",
        "> a 38-tab spreadsheet from Acme's consultant, and nobody has collected evidence ^a-38-tab-spreadsheet",
        "",
    ]
    assert "\n".join(lines[: marked.line - 2] + lines[marked.line :]) == CALL
    quote = quotes_of(marked.text)[0]["a-38-tab-spreadsheet"]
    assert quote.speaker is None


def test_the_selection_is_matched_leniently_against_the_markdown():
    # Rendered text: no **, a link's label, line breaks as spaces or none, other quotation marks and case.
    marked = mark_quote(CALL, "MAYA runs the audit with a 38-tab spreadsheet from Acme’s consultant, and")
    assert marked.block == "maya-runs-the-audit"
    assert marked.added


@pytest.mark.parametrize(
    ("selection", "why"),
    [
        ("the audit", "occur 3 times"),
        ("customer: acme", "not in the call's notes"),  # front matter
        ("renewal numbers in code", "not in the call's notes"),
        ("not to quote the renewal numbers", "not in the call's notes"),  # an HTML comment
        ("since September. We failed the audit twice", "runs across paragraphs"),
        ("Head of Compliance", "not in the call's notes"),
        ("   ", "select some words"),
        ("—", "select some words"),
    ],
)
def test_a_selection_not_found_exactly_once_in_one_paragraph_is_refused(selection, why):
    with pytest.raises(CannotMark, match=why):
        mark_quote(CALL, selection)


def test_the_suggested_id_is_made_unique_in_the_file():
    text = CALL.replace("> Nobody looked at the alerts. — Maya Chen ^no-alerts", "> Other. ^what-did-the-auditor")
    marked = mark_quote(text, "What did the auditor ask for first?")
    assert marked.block == "what-did-the-auditor-2"
    again = mark_quote(marked.text.replace("^what-did-the-auditor-2", "^x"), "board asked why", block="")
    assert again.block == "board-asked-why"
    assert len(block_ids(marked.text)) == 2


def test_a_given_id_is_checked():
    marked = mark_quote(CALL, "What did the auditor ask for first", block="^First-Ask")
    assert marked.block == "First-Ask"
    with pytest.raises(CannotMark, match="letters, digits and dashes"):
        mark_quote(CALL, "What did the auditor ask for first", block="first ask")
    with pytest.raises(CannotMark, match=r"\^No-Alerts is already an id in this call"):
        mark_quote(CALL, "What did the auditor ask for first", block="No-Alerts")


@pytest.mark.parametrize(
    ("words", "taken", "expected"),
    [
        ("We failed the audit twice.", (), "we-failed-the-audit"),
        ("I'd rather pay software", (), "id-rather-pay-software"),
        ("Ça coûte 40 000 €", (), "ca-coute-40-000"),
        ("— ! —", (), "quote"),
        ("No alerts", ("no-alerts", "NO-ALERTS-2"), "no-alerts-3"),
    ],
)
def test_suggest_id(words, taken, expected):
    assert suggest_id(words, taken) == expected
    assert check_id(expected) == expected


def test_tags_are_words_kb_reads_as_tags():
    assert parse_tags("audit, #Pricing board audit") == ["audit", "Pricing", "board"]
    assert parse_tags(["a-b", "#c_d"]) == ["a-b", "c_d"]
    with pytest.raises(CannotMark, match="tag '1st'"):
        mark_quote(CALL, "What did the auditor ask for first", tags="1st")


def test_words_are_made_to_read_as_plain_words_in_a_quote():
    text = "---\ndate: 2026-01-12\n---\n\n1. Step one <!-- not --> then [[ x ]] and `code`\n\n# Heading -- words\n"
    marked = mark_quote(text, "1. Step one then [[ x ]] and code")
    assert marked.text.split("\n")[marked.line - 1] == "> 1\\. Step one then [\\[ x ]] and code ^1-step-one-then"
    marked = mark_quote(text, "Heading -- words")
    assert marked.text.split("\n")[marked.line - 1] == "> Heading - words ^heading-words"
    assert set(quotes_of(marked.text)[0]) == {"heading-words"}


def test_line_ends_and_a_missing_last_line_end_are_kept():
    text = "---\r\ndate: 2026-01-12\r\n---\r\n\r\n> Quote one — Ann\r\n\r\nLast words"
    marked = mark_quote(text, "Quote one", tags="x")
    assert marked.text == "---\r\ndate: 2026-01-12\r\n---\r\n\r\n> Quote one #x — Ann ^quote-one\r\n\r\nLast words"
    marked = mark_quote(text, "Last words")
    assert marked.text == text + "\n\n> Last words ^last-words\n"


def test_a_quote_ending_in_a_comment_gets_the_id_after_it():
    text = "> Said so. — Ann <!-- check -->\n"
    marked = mark_quote(text, "Said so")
    assert marked.text == "> Said so. — Ann <!-- check --> ^said-so\n"
    assert quotes_of(marked.text)[0]["said-so"].speaker == "Ann"


def test_a_quote_of_several_lines_gets_the_id_on_its_last():
    text = "> First line of it,\n> second line.\n>\n> Another quote ^other\n"
    marked = mark_quote(text, "First line of it, second line.")
    assert marked.text == "> First line of it,\n> second line. ^first-line-of-it\n>\n> Another quote ^other\n"
    # Without the `>` line between them, kb reads the lines as one quote, up to its id.
    with pytest.raises(CannotMark, match=r"already quoted as \^other"):
        mark_quote(text.replace(">\n", ""), "First line of it")


# --- properties --------------------------------------------------------------------------------------

PROPERTIES = settings(
    derandomize=True, database=None, max_examples=200, deadline=2000, suppress_health_check=list(HealthCheck)
)
KINDS = ["plain", "turn", "quote", "quoted", "heading", "code", "comment"]
SELECTABLE = {"plain", "turn", "quote", "quoted", "heading"}


@st.composite
def calls(draw):
    """A call of paragraphs of each kind, every word unique (so that any run of words names one place),
    and a selection: a run of the words of one paragraph, as a page would render them."""
    counter = iter(range(10_000))
    stems = ["audit", "we", "Maya", "café", "x1", "board", "ÉTÉ"]

    def words(n: int) -> list[str]:
        return [f"{draw(st.sampled_from(stems))}{next(counter)}" for _ in range(n)]

    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=8))
    if not SELECTABLE & set(kinds):
        kinds.append("plain")
    paragraphs, shown = [], []
    for kind in kinds:
        said, speaker = words(draw(st.integers(1, 8))), None
        if kind == "plain":
            cut = draw(st.integers(0, len(said)))
            paragraphs.append(" ".join(said[:cut]) + ("\n" if 0 < cut < len(said) else "") + " ".join(said[cut:]))
        elif kind == "turn":
            speaker = f"Speaker {next(counter)}"
            paragraphs.append(f"**{speaker}** (00:0{draw(st.integers(0, 9))}:12): " + " ".join(said))
        elif kind == "quote":
            paragraphs.append(
                "> " + " ".join(said) + draw(st.sampled_from(["", " — Ann Lee", "\n> more" + str(next(counter))]))
            )
        elif kind == "quoted":
            paragraphs.append("> " + " ".join(said) + f" — Ann ^id{next(counter)}")
        elif kind == "heading":
            paragraphs.append("## " + " ".join(said))
        elif kind == "code":
            paragraphs.append("```\n" + " ".join(said) + "\n```")
        else:
            paragraphs.append("<!-- " + " ".join(said) + " -->")
        shown.append((kind, said, speaker))
    front = "---\ndate: 2026-01-12\nnote: " + " ".join(words(2)) + "\n---\n"
    text = front + "\n" + "\n\n".join(paragraphs) + draw(st.sampled_from(["\n", "", "\n\n"]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    kind, said, speaker = draw(st.sampled_from([each for each in shown if each[0] in SELECTABLE]))
    start = draw(st.integers(0, len(said) - 1))
    end = draw(st.integers(start + 1, len(said)))
    selection = draw(st.sampled_from([" ", "\n", "  "])).join(said[start:end])
    return text, kind, selection, speaker


@PROPERTIES
@given(calls(), st.sampled_from(["", "audit", "a-b, c_d"]))
def test_only_the_quote_line_is_added_or_changed(call, tags):
    text, kind, selection, speaker = call
    before_ids = block_ids(text)
    try:
        marked = mark_quote(text, selection, tags=tags)
    except CannotMark as exc:
        assert kind == "quoted", exc
        assert "already quoted as ^id" in str(exc)
        return
    assert kind != "quoted"
    removed, added = changed_lines(text, marked.text)
    eol = "\r" if "\r\n" in text else ""
    if kind == "quote":
        assert len(removed) == len(added) == 1
        assert added[0].removesuffix("\r").endswith(f" ^{marked.block}")
        assert added[0].endswith("\r") == removed[0].endswith("\r")
    else:
        assert removed == []
        assert [line.removesuffix(eol) for line in added] in (
            ["", added[1].removesuffix(eol)],
            ["", added[1].removesuffix(eol), ""],
            [added[0].removesuffix(eol), ""],  # the same lines, where the text ended in a blank line
            [added[0].removesuffix(eol), "", ""],
        )
    line = marked.text.split("\n")[marked.line - 1].removesuffix("\r")
    assert line.startswith(">") and line.endswith(f"^{marked.block}")
    # kb reads the quote back, with its words and tags, and every id of the file is still one of a kind.
    found, problems = quotes_of(marked.text)
    assert marked.block in found
    assert not [p for p in problems if "used twice" in p.message or "no quote" in p.message]
    assert block_ids(marked.text) == before_ids | {marked.block.lower()}
    assert marked.block not in before_ids
    quote = found[marked.block]
    assert {tag.lower() for tag in parse_tags(tags)} <= set(quote.tags)
    if kind != "quote":
        assert quote.text.startswith(" ".join(selection.split()))
        assert quote.speaker == speaker


@PROPERTIES
@given(st.lists(st.text(alphabet="ab -'’Éé1", max_size=12), max_size=6))
def test_suggested_ids_are_unique_and_plain(phrases):
    taken: set[str] = set()
    for words in phrases:
        block = suggest_id(words, taken)
        assert block not in taken
        assert check_id(block, taken) == block
        assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in block)
        taken.add(block)
