"""Hostile record files: each is a problem at its path and line, read in bounded time, and the rest of
the KB works (huge numbers, alias bombs, infinities, thousands of links, endless heading lines)."""

from __future__ import annotations

import gc
import json
import time

import pytest

from kb.records.document import Document, NotEditable
from kb.records.fields import question_for
from kb.records.parse import parse_bytes

AS_OF = "2026-03-13"

# Ten levels of nine aliases each: 415 bytes that stand for 9**9 (387 million) values.
BILLION_LAUGHS = "\n".join(
    [
        "name: Acme",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{level}: &{level} [{','.join([f'*{previous}'] * 9)}]"
            for previous, level in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        f"acv: [{','.join(['*i'] * 9)}]",
    ]
)


def customer(front_matter: str, body: str = "Notes.\n"):
    return parse_bytes(f"---\n{front_matter}\n---\n{body}".encode(), "content/customers/acme.md", "customer")


def messages(record) -> list[str]:
    return [f"{p.line}: {p.severity}: {p.message}" for p in record.problems]


def fastest(work, times: int = 3) -> float:
    """The least of a few timings of `work()`: the one least disturbed by the rest of the machine (and by
    the garbage collector, whose full passes grow with everything allocated)."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(times):
            started = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


# --- numbers ------------------------------------------------------------------------------------


def test_an_integer_python_will_not_read_is_a_problem_at_its_key_and_the_rest_is_read():
    record = customer("name: Acme\nstage: customer\nacv: " + "1" * 4301)

    # As with front matter that is not YAML, no key is read (so none is reported missing either)...
    assert messages(record) == ["4: error: acv: a number of 4,301 digits is too long"]
    assert record.fields == {}
    assert record.body == "Notes.\n"  # ...and the body is read


@pytest.mark.parametrize(
    "value", ["0x" + "f" * 4000, "-" + "9" * 5000, "[1, 2, " + "7" * 4400 + "]", "{deep: {er: " + "1" * 4400 + "}}"]
)
def test_huge_integers_anywhere_in_front_matter_are_refused(value):
    record = customer(f"name: Acme\nfavourite: {value}")

    assert len(record.problems) == 1, messages(record)
    assert record.problems[0].line == 3
    assert record.problems[0].message.startswith("favourite: a number of ")
    assert record.problems[0].message.endswith(" digits is too long")


def test_an_integer_of_4300_digits_is_still_read():
    record = customer("name: Acme\nfavourite: " + "1" * 4300)

    assert record.problems == []
    assert record.extra["favourite"] == int("1" * 4300)


def test_any_value_the_yaml_constructor_cannot_make_is_a_problem_at_its_key():
    record = customer("name: Acme\nsince: !!timestamp 2026-02-30\nstage: lead")

    assert messages(record) == ["3: error: since: YAML cannot read this value: day is out of range for month"]


@pytest.mark.parametrize(
    ("value", "shown"), [(".inf", ".inf"), ("-.inf", "-.inf"), (".nan", ".nan"), (".NaN", ".nan"), ("1.0e+999", ".inf")]
)
def test_acv_must_be_a_finite_number(value, shown):
    record = customer(f"name: Acme\nacv: {value}")

    assert messages(record) == [f"3: error: acv: expected a finite number such as 12000; got {shown}"]
    assert record.fields["acv"] is None


@pytest.mark.parametrize(
    ("value", "shown"), [("100000000000000000000", "a number of 21 digits"), ("1.5e+300", "1.5e+300")]
)
def test_acv_past_any_real_amount_is_refused(value, shown):
    record = customer(f"name: Acme\nacv: {value}")

    assert messages(record) == [
        f"3: error: acv: expected a number below 1,000,000,000,000,000 such as 12000; got {shown}"
    ]


def test_infinities_in_unknown_keys_are_kept_as_yaml_writes_them():
    record = customer("name: Acme\nodds: .inf\nrange: [-.inf, .nan, 1.5]")

    assert record.problems == []
    assert record.extra == {"odds": ".inf", "range": ["-.inf", ".nan", 1.5]}
    json.dumps(record.extra, allow_nan=False)  # strict JSON


def test_export_writes_strict_json_from_a_kb_with_infinities(kb_root, runner):
    kb_root.write("content/customers/acme.md", "---\nname: Acme\nacv: .inf\nodds: -.inf\nchance: .nan\n---\n")

    result = runner(kb_root, "export", "--format", "json")

    assert result.exit_code == 0, result.output

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    (row,) = json.loads(result.stdout, parse_constant=refuse)
    assert row["acv"] is None
    assert row["extra"] == {"odds": "-.inf", "chance": ".nan"}


# --- aliases and nesting -------------------------------------------------------------------------


def test_a_billion_laughs_is_refused_at_once():
    started = time.perf_counter()
    record = customer(BILLION_LAUGHS)
    took = time.perf_counter() - started

    assert len(BILLION_LAUGHS) < 450
    assert [p.message for p in record.problems] == [
        "e: front matter uses YAML aliases that expand too far (more than 10,000 repeated values); "
        "write the values out instead"
    ]
    assert record.problems[0].line == 7  # the key whose value passed the limit: 9**5 values
    assert took < 5, f"{took:.1f} s"  # it ran for minutes and gigabytes before


def test_an_alias_that_contains_itself_is_refused():
    record = customer("name: Acme\nloop: &loop [1, *loop]")

    assert messages(record) == ["3: error: loop: front matter uses YAML aliases that refer to themselves"]


def test_nesting_past_a_hundred_levels_is_refused():
    record = customer("name: Acme\ndeep: " + "[" * 101 + "]" * 101)

    assert messages(record) == ["3: error: deep: front matter nests over 100 levels deep"]


def test_ordinary_aliases_and_merge_keys_still_work():
    record = customer("name: &n Acme\nowner: *n\nbase: &base {region: EU}\nsite:\n  <<: *base\n  city: Paris")

    assert record.problems == []
    assert record.fields["owner"] == "Acme"
    assert record.extra["site"] == {"region": "EU", "city": "Paris"}


@pytest.mark.parametrize(
    "front_matter",
    [BILLION_LAUGHS, "acv: " + "1" * 4301, "loop: &loop [*loop]", "since: !!timestamp 2026-02-30", "bad: \ud800"],
)
def test_the_editor_refuses_what_the_parser_refuses(front_matter):
    with pytest.raises(NotEditable, match="fix it in your editor"):
        Document(f"---\n{front_matter}\n---\nBody\n")


# --- time in proportion to the file ----------------------------------------------------------------


def test_links_take_time_in_proportion_to_their_number():
    def parse_links(count: int) -> None:
        body = "".join(f"See [[call-{number}]] and more.\n" for number in range(count))
        record = customer("name: Acme", body)
        assert len(record.links) == count
        assert record.links[-1].line == count + 3

    few, many = fastest(lambda: parse_links(10_000)), fastest(lambda: parse_links(40_000))

    # About 4 when the time grows with the number of links, 16 when it grows with its square.
    assert many / few < 10, f"10k links: {few:.3f} s; 40k links: {many:.3f} s"


@pytest.mark.parametrize(
    "line",
    [
        lambda size: "## a" + " " * size + "b",
        lambda size: "## " + "# " * (size // 2) + "x",
        lambda size: "## why did " + "have " * (size // 5),
        lambda size: "## why did " + "change " * (size // 7) + "x",
    ],
    ids=["spaces", "hashes", "words", "two-wildcards"],
)
def test_a_long_heading_line_takes_time_in_proportion_to_its_length(line):
    def parse_heading(size: int) -> None:
        record = parse_bytes(
            f"---\ncustomer: acme\n---\n{line(size)}\ntext\n".encode(), "casestudies/acme.md", "casestudy"
        )
        assert len(record.sections) == 1

    short, long = fastest(lambda: parse_heading(25_000)), fastest(lambda: parse_heading(100_000))

    # About 4 when the time grows with the line's length, 16 when it grows with its square.
    assert long / short < 10 or long < 0.05, f"25 KB: {short:.4f} s; 100 KB: {long:.4f} s"


def test_a_heading_of_thousands_of_words_still_answers_its_question():
    assert question_for("Why did " + "the team " * 5000 + "have to change?") == "why_change"
    assert question_for("What did " + "they " * 5000 + "want to achieve") == "success"
