"""`kb check`: a founder's KB with every kind of mistake in it, and what kb says about each one."""

from __future__ import annotations

import json

import pytest

from kb.records.fields import QUESTION_KEYS, QUESTIONS

AS_OF = "2026-03-13"


def story(customer: str, status: str = "hell-yes", answered=QUESTION_KEYS, person: str = "Jane Doe, CFO") -> str:
    """A case study whose `answered` questions hold text and the rest only the skeleton's prompt."""
    body = "".join(
        f"## {q.heading}\n{f'Real answer about {q.key}.' if q.key in answered else f'<!-- {q.prompt} -->'}\n\n"
        for q in QUESTIONS
    )
    return f"---\ncustomer: {customer}\nperson: {person}\nstatus: {status}\n---\n{body}"


# A healthy KB: one hell-yes customer won long before AS_OF, its call and its story.
GOOD_FILES = {
    "content/customers/acme.md": """\
        ---
        name: Acme Corp
        stage: customer
        source: founder network
        qualified_on: 2025-12-01
        won_on: 2026-01-05
        acv: 12000
        ---
        The champion rides a zeppelin to work.
        """,
    "content/interviews/2026-01-10-acme-discovery.md": """\
        ---
        customer: acme
        date: 2026-01-10
        kind: discovery
        people:
          - Jane Doe, CFO
        ---
        Jane failed the SOC2 audit twice; the auditors were merciless.
        """,
    "casestudies/acme-story.md": """\
        ---
        customer: acme
        person: Jane Doe, CFO
        status: hell-yes
        interviews: [2026-01-10-acme-discovery]
        tags: [soc2, audit]
        ---
        ## Why did they have to change?
        Jane failed the audit twice [[2026-01-10-acme-discovery]].

        ## What did success look like?
        Passing the audit without a spreadsheet marathon.

        ## What options did they consider?
        A consultant, a bigger team, doing nothing.

        ## How did we fit into their world?
        We plugged into the tools they already had.

        ## Why are they renewing?
        They bought a quiet quarter-end.
        """,
}
# Words only the good files hold, and where they are.
GOOD_WORDS = {
    "zeppelin": "content/customers/acme.md",
    "merciless": "content/interviews/2026-01-10-acme-discovery.md",
    "spreadsheet": "casestudies/acme-story.md",
}

NOT_UTF8 = b"---\nname: Cafe Noir\nstage: lead\n---\nMet the owner at the caf\xe9 downtown.\n"
NOT_UTF8_AT = NOT_UTF8.index(b"\xe9")  # the byte offset kb must name

# Each case: the files a founder got wrong, and every problem kb must report for them as
# (the exact `path:line: severity:` prefix, words the message must hold).
CASES = [
    pytest.param(
        {
            "casestudies/bad-yaml.md": """\
        ---
        customer: acme
        person: Jane: Doe
        status: draft
        ---
        Notes.
        """
        },
        [("casestudies/bad-yaml.md:3: error:", ("front matter is not valid YAML", "mapping values"))],
        id="malformed-yaml",
    ),
    pytest.param(
        {"casestudies/no-front-matter.md": "Just notes about acme, no keys at all.\n"},
        [("casestudies/no-front-matter.md:1: error:", ("no front matter", "'---'"))],
        id="no-front-matter",
    ),
    pytest.param(
        {
            "content/interviews/list-front-matter.md": """\
        ---
        - customer: acme
        - date: 2026-01-12
        ---
        Notes.
        """
        },
        [("content/interviews/list-front-matter.md:2: error:", ("front matter must be a mapping", "got a list"))],
        id="front-matter-is-a-list",
    ),
    pytest.param(
        {
            "casestudies/missing-keys.md": """\
        ---
        tags: [audit]
        ---
        ## Why did they have to change?
        The audit.
        """
        },
        [
            ("casestudies/missing-keys.md:1: error:", ("customer: required key is missing",)),
            ("casestudies/missing-keys.md:1: error:", ("person: required key is missing", "ONE person")),
            (
                "casestudies/missing-keys.md:1: error:",
                ("status: required key is missing", "draft, meh, churned, hell-yes"),
            ),
        ],
        id="missing-required-keys",
    ),
    pytest.param(
        {
            "casestudies/misspelled-key.md": """\
        ---
        customer: acme
        persn: Jane Doe, CFO
        status: draft
        ---
        """
        },
        [
            (
                "casestudies/misspelled-key.md:1: error:",
                ("person: required key is missing", "did you mean 'persn' on line 3?"),
            )
        ],
        id="misspelled-required-key",
    ),
    pytest.param(
        {"content/customers/nameless.md": "---\nstage: lead\n---\n"},
        [("content/customers/nameless.md:1: error:", ("name: required key is missing",))],
        id="customer-without-name",
    ),
    pytest.param(
        {
            "content/customers/comma.md": """\
        ---
        name: Comma Inc
        stage: lead
        acv: "12,000"
        ---
        Comma sells umbrellas.
        """
        },
        [("content/customers/comma.md:4: error:", ("acv: expected a number", "got '12,000'"))],
        id="acv-is-text",
    ),
    pytest.param(
        {
            "content/interviews/2026-01-12-acme-demo.md": """\
        ---
        customer: acme
        date: 2026-01-12
        kind: demo
        people:
          Jane Doe: CFO
        owner: Ana
        ---
        Demo went fine.
        """
        },
        [("content/interviews/2026-01-12-acme-demo.md:5: error:", ("people: expected a list", "Jane Doe"))],
        id="people-is-a-mapping",
    ),
    pytest.param(
        {
            "casestudies/hellyes.md": """\
        ---
        customer: acme
        person: Jane Doe, CFO
        status: hellyes
        ---
        """
        },
        [
            (
                "casestudies/hellyes.md:4: error:",
                (
                    "status: expected one of draft, meh, churned, hell-yes",
                    "got 'hellyes'",
                    "(did you mean 'hell-yes'?)",
                ),
            )
        ],
        id="unknown-status",
    ),
    pytest.param(
        {
            "content/interviews/2026-01-14-acme-discovry.md": """\
        ---
        customer: acme
        date: 2026-01-14
        kind: discovry
        ---
        """
        },
        [
            (
                "content/interviews/2026-01-14-acme-discovry.md:4: error:",
                (
                    "kind: expected one of discovery, sales, demo, onboarding, check-in, renewal, other",
                    "got 'discovry'",
                    "(did you mean 'discovery'?)",
                ),
            )
        ],
        id="unknown-kind",
    ),
    pytest.param(
        {
            "content/interviews/2026-02-30-acme-sales.md": """\
        ---
        customer: acme
        date: 2026-02-30
        kind: sales
        ---
        """
        },
        [("content/interviews/2026-02-30-acme-sales.md:3: error:", ("date:", "2026-02-30", "expected a real date"))],
        id="impossible-date",
    ),
    pytest.param(
        {
            "content/interviews/2025/weekly-sync.md": "---\ncustomer: acme\ndate: 2025-12-20\n---\n",
            "content/interviews/2026/weekly-sync.md": "---\ncustomer: acme\ndate: 2026-01-20\n---\n",
        },
        [
            (
                "content/interviews/2025/weekly-sync.md:1: error:",
                ("slug 'weekly-sync' is used by 2 interviews", "also content/interviews/2026/weekly-sync.md"),
            ),
            (
                "content/interviews/2026/weekly-sync.md:1: error:",
                ("slug 'weekly-sync' is used by 2 interviews", "also content/interviews/2025/weekly-sync.md"),
            ),
        ],
        id="duplicate-slug",
    ),
    pytest.param(
        {
            "content/interviews/2026-01-20-acme-check-in.md": """\
        ---
        customer: acme
        date: 2026-01-20
        kind: check-in
        ---
        All good.

        Follow up on [[acme-stroy]] next week.
        And send [[customer:acmee|them]] the invoice.
        """
        },
        [
            (
                "content/interviews/2026-01-20-acme-check-in.md:8: error:",
                ("link [[acme-stroy]] points to no record", "(did you mean 'acme-story'?)"),
            ),
            (
                "content/interviews/2026-01-20-acme-check-in.md:9: error:",
                ("link [[customer:acmee]] points to no record", "(did you mean 'acme'?)"),
            ),
        ],
        id="link-to-nothing",
    ),
    pytest.param(
        {
            "content/customers/beta.md": "---\nname: Beta\nstage: lead\n---\n",
            "casestudies/beta.md": story("beta", status="draft"),
            "content/interviews/2026-01-22-beta-discovery.md": """\
        ---
        customer: beta
        date: 2026-01-22
        kind: discovery
        ---
        See [[beta]] for the story so far.
        """,
        },
        [
            (
                "content/interviews/2026-01-22-beta-discovery.md:6: warning:",
                (
                    "link [[beta]] matches a customer (content/customers/beta.md) and a casestudy "
                    "(casestudies/beta.md)",
                    "[[casestudy:beta]]",
                ),
            )
        ],
        id="bare-slug-matches-two-types",
    ),
    pytest.param(
        {
            "content/interviews/2026-02-02-ghost-discovery.md": """\
        ---
        date: 2026-02-02
        customer: ghost
        kind: discovery
        ---
        A ghostly first call.
        """
        },
        [
            (
                "content/interviews/2026-02-02-ghost-discovery.md:3: warning:",
                ("customer: 'ghost' has no customer file yet", "kb new customer ghost"),
            )
        ],
        id="customer-without-file",
    ),
    pytest.param(
        {
            "content/customers/half.md": "---\nname: Half\nstage: customer\nwon_on: 2025-10-01\n---\n",
            "casestudies/half-story.md": story("half", answered=("why_change", "success", "fit")),
        },
        [
            (
                "casestudies/half-story.md:4: warning:",
                (
                    f"hell-yes story does not count (as of {AS_OF}, set with --as-of): "
                    "half: hell-yes story is missing answers to “What options did they consider?” "
                    "and “Why are they renewing?”",
                ),
            )
        ],
        id="hell-yes-missing-answers",
    ),
    pytest.param(
        {
            "content/customers/late.md": "---\nname: Late\nstage: customer\nwon_on: 2026-03-01\n---\n",
            "casestudies/late-story.md": story("late"),
        },
        [
            (
                "casestudies/late-story.md:4: warning:",
                ("hell-yes story does not count", "late: won 12 days ago, counts from 2026-03-31"),
            )
        ],
        id="hell-yes-won-too-recently",
    ),
    pytest.param(
        {
            "content/customers/unwon.md": "---\nname: Unwon\nstage: qualified\nqualified_on: 2026-01-02\n---\n",
            "casestudies/unwon-story.md": story("unwon"),
        },
        [("casestudies/unwon-story.md:4: warning:", ("hell-yes story does not count", "unwon: not won yet"))],
        id="hell-yes-not-won",
    ),
    pytest.param(
        {
            "content/customers/gone.md": """\
        ---
        name: Gone
        stage: churned
        won_on: 2025-06-01
        churned_on: 2026-02-01
        ---
        """,
            "casestudies/gone-story.md": story("gone"),
        },
        [("casestudies/gone-story.md:4: warning:", ("hell-yes story does not count", "gone: churned on 2026-02-01"))],
        id="hell-yes-churned",
    ),
    pytest.param(
        {"casestudies/nobody-story.md": story("nobody")},
        [
            (
                "casestudies/nobody-story.md:4: warning:",
                (
                    "hell-yes story does not count",
                    "nobody: no customer file content/customers/nobody.md, so it is not won",
                ),
            ),
            ("casestudies/nobody-story.md:2: warning:", ("customer: 'nobody' has no customer file yet",)),
        ],
        id="hell-yes-without-customer-file",
    ),
    pytest.param(
        {"content/customers/cafe.md": NOT_UTF8},
        [("content/customers/cafe.md:5: error:", ("not UTF-8", f"byte {NOT_UTF8_AT} is 0xe9"))],
        id="not-utf8",
    ),
    pytest.param(
        {"content/interviews/empty-call.md": ""},
        [("content/interviews/empty-call.md:1: error:", ("empty file",))],
        id="empty-file",
    ),
    pytest.param(
        {"content/customers/signed.md": "---\nname: Signed\nstage: customer\n---\n"},
        [("content/customers/signed.md:3: warning:", ("stage: 'customer' but no won_on",))],
        id="customer-without-won-on",
    ),
    pytest.param(
        {"content/customers/lapsed.md": "---\nname: Lapsed\nstage: churned\nchurned_on: 2026-02-01\n---\n"},
        [("content/customers/lapsed.md:3: warning:", ("stage: 'churned' but no won_on",))],
        id="churned-without-won-on",
    ),
    pytest.param(
        {"content/customers/quiet.md": "---\nname: Quiet\nstage: churned\nwon_on: 2025-05-01\n---\n"},
        [("content/customers/quiet.md:3: warning:", ("stage: 'churned' but no churned_on",))],
        id="churned-without-churned-on",
    ),
    pytest.param(
        {
            "content/customers/backwards.md": """\
        ---
        name: Backwards
        stage: customer
        qualified_on: 2026-02-01
        won_on: 2026-01-15
        ---
        """
        },
        [("content/customers/backwards.md:5: warning:", ("won_on: 2026-01-15 is before qualified_on 2026-02-01",))],
        id="won-before-qualified",
    ),
    pytest.param(
        {
            "content/customers/flip.md": """\
        ---
        name: Flip
        stage: churned
        churned_on: 2026-01-10
        won_on: 2026-02-01
        ---
        """
        },
        [("content/customers/flip.md:4: warning:", ("churned_on: 2026-01-10 is before won_on 2026-02-01",))],
        id="churned-before-won",
    ),
    pytest.param(
        {
            "content/customers/both.md": """\
        ---
        name: Both
        stage: customer
        won_on: 2026-01-20
        lost_on: 2026-01-10
        ---
        """
        },
        [("content/customers/both.md:5: warning:", ("both won_on (2026-01-20) and lost_on (2026-01-10) are set",))],
        id="both-won-and-lost",
    ),
    pytest.param(
        {
            "kb.toml": """\
        name = "Broken Co"
        gaet = 6
        gate = 4
        as_of = "2026-03-13"
        """
        },
        [
            ("kb.toml:2: error:", ("unknown setting 'gaet'", "(did you mean 'gate'?)")),
            ("kb.toml:3: error:", ("gate: must be at least 5", "got 4")),
            ("kb.toml:4: error:", ("as_of: expected a TOML date", "no quotes", "got '2026-03-13'")),
        ],
        id="kb-toml",
    ),
]


def problem_lines(result) -> list[str]:
    """The problems `kb check` printed (stdout; the summary goes to stderr)."""
    return [line for line in result.stdout.splitlines() if line.strip()]


def assert_reported(result, prefix: str, words) -> None:
    found = [
        line for line in problem_lines(result) if line.startswith(prefix + " ") and all(word in line for word in words)
    ]
    assert found, f"expected a problem '{prefix} ...{words}' in:\n{result.output}"


def write_files(kb_root, files: dict) -> None:
    for path, text in files.items():
        kb_root.write(path, text)


def check(runner, kb_root, *args):
    return runner(kb_root, "check", "--as-of", AS_OF, *args)


def test_a_clean_kb_exits_0_with_no_problems(kb_root, runner):
    write_files(kb_root, GOOD_FILES)

    result = check(runner, kb_root, "--strict")

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == []
    assert "0 errors, 0 warnings in 3 files" in result.output


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_each_mistake_is_reported_at_its_line(kb_root, runner, files, expected):
    write_files(kb_root, GOOD_FILES)
    write_files(kb_root, files)

    result = check(runner, kb_root)

    for prefix, words in expected:
        assert_reported(result, prefix, words)
    # Nothing else is said about these files, and nothing at all about the good ones.
    assert len(problem_lines(result)) == len(expected), result.output
    has_error = any(": error:" in prefix for prefix, _ in expected)
    assert result.exit_code == (1 if has_error else 0), result.output


def test_every_problem_is_reported_in_one_run_and_good_files_stay_searchable(kb_root, runner):
    files: dict = dict(GOOD_FILES)
    expected = []
    for case in CASES:
        case_files, case_expected = case.values
        assert not set(case_files) & set(files), f"case {case.id} reuses a path"
        files.update(case_files)
        expected += case_expected
    write_files(kb_root, files)

    result = check(runner, kb_root)

    assert result.exit_code == 1, result.output
    for prefix, words in expected:
        assert_reported(result, prefix, words)
    assert len(problem_lines(result)) == len(expected), result.output
    # kb.toml first, then files by path and line.
    assert problem_lines(result)[0].startswith("kb.toml:2: error:")
    # One bad file never stops the others: the good files, and bad files that could still be
    # read, are all found.
    searchable = {
        **GOOD_WORDS,
        "umbrellas": "content/customers/comma.md",
        "ghostly": "content/interviews/2026-02-02-ghost-discovery.md",
    }
    for word, path in searchable.items():
        found = runner(kb_root, "search", word, "--json")
        assert found.exit_code == 0, found.output
        assert [hit["path"] for hit in json.loads(found.stdout)["hits"]] == [path], found.output


@pytest.mark.parametrize(
    ("toml", "prefix", "words"),
    [
        pytest.param(
            'name = "Broken Co"\n\ngate = = 5\n', "kb.toml:3: error:", ("not valid TOML",), id="bad-toml-mid-file"
        ),
        pytest.param(
            'name = "Broken Co"\nfounders = ["Ana",\n', "kb.toml:2: error:", ("not valid TOML",), id="bad-toml-at-end"
        ),
        pytest.param(
            'name = "Broken Co"\ngaet = 6\n',
            "kb.toml:2: error:",
            ("unknown setting 'gaet'", "(did you mean 'gate'?)"),
            id="unknown-setting",
        ),
        pytest.param(
            'name = "Broken Co"\n\n[thresholds]\nsettle_dayz = 20\n',
            "kb.toml:4: error:",
            ("unknown threshold 'settle_dayz'", "(did you mean 'settle_days'?)"),
            id="unknown-threshold",
        ),
        pytest.param(
            'name = "Broken Co"\ngate = 4\n',
            "kb.toml:2: error:",
            ("gate: must be at least 5 hell-yes customers; got 4", "never lowered"),
            id="gate-below-5",
        ),
        pytest.param(
            'as_of = "2026-03-13"\n',
            "kb.toml:1: error:",
            ("as_of: expected a TOML date", "no quotes", "got '2026-03-13'"),
            id="as-of-quoted",
        ),
        pytest.param(
            'name = "Broken Co"\n[thresholds]\nweeks = "four"\n',
            "kb.toml:3: error:",
            ("thresholds.weeks: expected a whole number", "got 'four'"),
            id="threshold-wrong-type",
        ),
        pytest.param(
            '[sources."cold email"]\nscalabel = true\ncost = 1000\n',
            "kb.toml:2: error:",
            ("unknown key 'scalabel' in [sources.cold email]", "(did you mean 'scalable'?)"),
            id="unknown-source-key",
        ),
        pytest.param(
            '[sources."cold email"]\nscalable = true\ncost = "12k"\n',
            "kb.toml:3: error:",
            ("sources.cold email.cost: expected a number", "got '12k'"),
            id="source-cost-not-a-number",
        ),
        pytest.param(
            'sales_kinds = ["discovry", "demo"]\n',
            "kb.toml:1: error:",
            ("sales_kinds: expected kinds from discovery, sales", "got 'discovry'", "(did you mean 'discovery'?)"),
            id="unknown-sales-kind",
        ),
        pytest.param(
            'founders = "Ana Ruiz"\n',
            "kb.toml:1: error:",
            ("founders: expected a list of names", "got 'Ana Ruiz'"),
            id="founders-not-a-list",
        ),
    ],
)
def test_kb_toml_problems_are_reported_and_the_files_still_checked(kb_root, runner, toml, prefix, words):
    write_files(kb_root, GOOD_FILES)
    kb_root.write("kb.toml", toml)
    kb_root.write("content/interviews/2026-02-02-ghost-discovery.md", "---\ncustomer: ghost\ndate: 2026-02-02\n---\n")

    result = check(runner, kb_root)

    assert result.exit_code == 1, result.output
    assert_reported(result, prefix, words)
    assert_reported(result, "content/interviews/2026-02-02-ghost-discovery.md:2: warning:", ("'ghost'",))
    assert len(problem_lines(result)) == 2, result.output


def test_an_as_of_date_later_than_today_is_refused(kb_root, runner):
    write_files(kb_root, GOOD_FILES)

    result = runner(kb_root, "check", "--as-of", "2099-01-01")

    assert result.exit_code == 2, result.output
    assert "--as-of is 2099-01-01, later than today" in result.output


def test_gate_4_is_not_honoured(kb_root):
    from kb.config import load_settings

    kb_root.write("kb.toml", "gate = 4\n")

    assert load_settings(kb_root.root / "kb.toml").gate == 5


@pytest.mark.parametrize(
    ("won_on", "counts", "words"),
    [
        pytest.param("2026-02-11", True, (), id="30-days-counts"),
        pytest.param("2026-02-12", False, ("won 29 days ago, counts from 2026-03-14",), id="29-days-waits"),
        pytest.param("2026-03-12", False, ("won 1 day ago, counts from 2026-04-11",), id="1-day-waits"),
        pytest.param("2026-03-20", False, ("won on 2026-03-20, after the as-of date 2026-03-13",), id="won-after-D"),
    ],
)
def test_a_hell_yes_story_counts_30_days_after_the_win(kb_root, runner, won_on, counts, words):
    kb_root.customer("late", stage="customer", won_on=won_on)
    kb_root.write("casestudies/late-story.md", story("late"))

    result = check(runner, kb_root, "--strict")

    if counts:
        assert result.exit_code == 0, result.output
        assert problem_lines(result) == []
    else:
        assert result.exit_code == 1, result.output
        assert_reported(result, "casestudies/late-story.md:4: warning:", ("hell-yes story does not count", *words))


@pytest.mark.parametrize(
    ("churned_on", "counts"),
    [
        pytest.param("2026-03-13", False, id="churned-on-D"),
        pytest.param("2026-03-14", True, id="churned-after-D"),
    ],
)
def test_churn_counts_only_on_or_before_the_as_of_date(kb_root, runner, churned_on, counts):
    kb_root.customer("gone", stage="churned", won_on="2025-06-01", churned_on=churned_on)
    kb_root.write("casestudies/gone-story.md", story("gone"))

    result = check(runner, kb_root)

    assert result.exit_code == 0, result.output
    if counts:
        assert problem_lines(result) == []
    else:
        assert problem_lines(result) == [
            f"casestudies/gone-story.md:4: warning: hell-yes story does not count (as of {AS_OF}"
            f", set with --as-of): gone: churned on {churned_on}"
        ]


def test_the_as_of_date_pinned_in_kb_toml_judges_the_stories(kb_root, runner):
    kb_root.write("kb.toml", "as_of = 2026-03-13\n")
    kb_root.customer("late", stage="customer", won_on="2026-03-01")
    kb_root.write("casestudies/late-story.md", story("late"))

    result = runner(kb_root, "check")

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == [
        "casestudies/late-story.md:4: warning: hell-yes story does not count (as of 2026-03-13, pinned in "
        "kb.toml): late: won 12 days ago, counts from 2026-03-31"
    ]


def test_a_story_failing_several_rules_names_every_one(kb_root, runner):
    kb_root.customer("late", stage="churned", won_on="2026-03-01", churned_on="2026-03-10")
    kb_root.write("casestudies/late-story.md", story("late", answered=("why_change", "fit", "renewal")))

    result = check(runner, kb_root)

    assert_reported(
        result,
        "casestudies/late-story.md:4: warning:",
        (
            "late: hell-yes story is missing answers to “What did success look like?” "
            "and “What options did they consider?”; won 12 days ago, counts from 2026-03-31; "
            "churned on 2026-03-10",
        ),
    )


def test_two_hell_yes_stories_of_one_customer_are_both_judged(kb_root, runner):
    kb_root.customer("late", stage="customer", won_on="2026-03-01")
    kb_root.write("casestudies/late-story.md", story("late"))
    kb_root.write("casestudies/late-story-cfo.md", story("late", person="Raj, CFO"))

    result = check(runner, kb_root)

    for path in ("casestudies/late-story.md", "casestudies/late-story-cfo.md"):
        assert_reported(result, f"{path}:4: warning:", ("late: won 12 days ago",))


def test_a_draft_story_is_never_judged(kb_root, runner):
    kb_root.customer("late", stage="customer", won_on="2026-03-01")
    kb_root.write("casestudies/late-story.md", story("late", status="draft", answered=()))

    result = check(runner, kb_root, "--strict")

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == []


def test_strict_exits_1_on_warnings_only(kb_root, runner):
    write_files(kb_root, GOOD_FILES)
    kb_root.write("content/interviews/2026-02-02-ghost-discovery.md", "---\ncustomer: ghost\ndate: 2026-02-02\n---\n")

    relaxed = check(runner, kb_root)
    strict = check(runner, kb_root, "--strict")

    assert relaxed.exit_code == 0, relaxed.output
    assert strict.exit_code == 1, strict.output
    assert (
        problem_lines(relaxed)
        == problem_lines(strict)
        == [
            "content/interviews/2026-02-02-ghost-discovery.md:2: warning: customer: 'ghost' has no customer file yet "
            "(content/customers/ghost.md); make one with `kb new customer ghost`"
        ]
    )
    assert "0 errors, 1 warning in 4 files" in strict.output


def test_json_lists_every_problem_with_path_line_severity_and_message(kb_root, runner):
    write_files(kb_root, GOOD_FILES)
    write_files(kb_root, CASES[0].values[0])  # malformed YAML
    kb_root.write("content/interviews/2026-02-02-ghost-discovery.md", "---\ncustomer: ghost\ndate: 2026-02-02\n---\n")

    result = check(runner, kb_root, "--json")

    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)
    assert isinstance(problems, list)
    assert [set(p) for p in problems] == [{"path", "line", "severity", "message"}] * 2
    assert [(p["path"], p["line"], p["severity"]) for p in problems] == [
        ("casestudies/bad-yaml.md", 3, "error"),
        ("content/interviews/2026-02-02-ghost-discovery.md", 2, "warning"),
    ]
    assert problems[0]["message"].startswith("front matter is not valid YAML")


def test_json_of_a_clean_kb_is_an_empty_list(kb_root, runner):
    write_files(kb_root, GOOD_FILES)

    result = check(runner, kb_root, "--json", "--strict")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_a_fixed_file_is_no_longer_reported(kb_root, runner):
    write_files(kb_root, GOOD_FILES)
    path = kb_root.write("casestudies/hellyes.md", "---\ncustomer: acme\nperson: Jane\nstatus: hellyes\n---\n")
    assert check(runner, kb_root).exit_code == 1

    path.write_text("---\ncustomer: acme\nperson: Jane\nstatus: draft\n---\nFixed.\n", encoding="utf-8")
    result = check(runner, kb_root)

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == []


def test_new_records_pass_check(tmp_path, runner):
    root = tmp_path / "my-kb"
    init = runner(tmp_path, "init", str(root))
    assert init.exit_code == 0, init.output
    steps = [
        ("new", "casestudy", "Acme Corp", "--person", "Jane Doe, VP Finance", "--no-edit"),
        ("new", "interview", "acme-corp", "--date", "2026-03-02", "--kind", "discovery", "--no-edit"),
        ("new", "interview", "beta", "--date", "2026-03-03", "--no-edit"),
        ("new", "customer", "gamma", "--name", 'Gamma: the "best" co', "--no-edit"),
    ]
    for step in steps:
        result = runner(root, *step)
        assert result.exit_code == 0, result.output

    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md")) == [
        "casestudies/acme-corp-story.md",
        "content/customers/acme-corp.md",
        "content/customers/beta.md",
        "content/customers/gamma.md",
        "content/interviews/2026-03-02-acme-corp-discovery.md",
        "content/interviews/2026-03-03-beta-other.md",
    ]
    result = runner(root, "check", "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    assert [p for p in json.loads(result.stdout) if p["severity"] == "error"] == []
    exported = {row["path"]: row for row in json.loads(runner(root, "export").stdout)}
    assert exported["casestudies/acme-corp-story.md"]["person"] == "Jane Doe, VP Finance"
    assert exported["content/customers/gamma.md"]["name"] == 'Gamma: the "best" co'


def test_new_never_overwrites(tmp_path, runner):
    root = tmp_path / "my-kb"
    assert runner(tmp_path, "init", str(root)).exit_code == 0
    first = runner(root, "new", "customer", "acme", "--no-edit")
    assert first.exit_code == 0, first.output
    customer = root / "content/customers/acme.md"
    customer.write_text(customer.read_text(encoding="utf-8") + "\nMy own notes.\n", encoding="utf-8")
    before = customer.read_bytes()

    second = runner(root, "new", "customer", "acme", "--no-edit")

    assert second.exit_code == 1, second.output
    assert "content/customers/acme.md exists already" in second.output
    assert "never overwrites" in second.output
    assert customer.read_bytes() == before


def test_a_second_call_on_the_same_day_gets_its_own_file(tmp_path, runner):
    root = tmp_path / "my-kb"
    assert runner(tmp_path, "init", str(root)).exit_code == 0
    args = ("new", "interview", "acme", "--date", "2026-03-02", "--kind", "sales", "--no-edit")
    assert runner(root, *args).exit_code == 0
    first = root / "content/interviews/2026-03-02-acme-sales.md"
    first.write_text(first.read_text(encoding="utf-8") + "Notes of the first call.\n", encoding="utf-8")
    before = first.read_bytes()

    again = runner(root, *args)

    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [str(root / "content/interviews/2026-03-02-acme-sales-2.md")]
    assert first.read_bytes() == before
    result = runner(root, "check", "--as-of", AS_OF, "--strict")
    assert result.exit_code == 0, result.output


def test_new_casestudy_never_overwrites_and_suggests_another_slug(tmp_path, runner):
    root = tmp_path / "my-kb"
    assert runner(tmp_path, "init", str(root)).exit_code == 0
    assert runner(root, "new", "casestudy", "acme", "--no-edit").exit_code == 0
    story_path = root / "casestudies/acme-story.md"
    before = story_path.read_bytes()

    again = runner(root, "new", "casestudy", "acme", "--no-edit")

    assert again.exit_code == 1, again.output
    assert "casestudies/acme-story.md exists already" in again.output
    assert "--slug acme-story-2" in again.output
    assert story_path.read_bytes() == before
