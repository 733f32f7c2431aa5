"""kb.toml read into settings: each value that is used, and the exact words and line of each problem."""

from __future__ import annotations

import datetime as dt

import pytest

from kb.config import DEFAULT_GATE, DEFAULT_SALES_KINDS, THRESHOLDS, Settings, Source, load_settings

KNOWN_SETTINGS = "name, as_of, gate, sales_kinds, founders, database_url, remote_images, thresholds, sources"
KINDS = "discovery, sales, demo, onboarding, check-in, renewal, other"
KNOWN_THRESHOLDS = (
    "calls_per_week, weeks, paying_customers, settle_days, close_days, conversion_pct, conversion_min_n, "
    "close_rate_pct, sql_min_n, source_min_sqls, rep_min_sqls"
)


def settings_of(tmp_path, text: str | bytes) -> Settings:
    """`load_settings` over a kb.toml holding `text`."""
    path = tmp_path / "kb.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_settings(path)


def said(settings: Settings) -> list[str]:
    """The problems as `kb check` prints them, in the order they were found."""
    return [str(problem) for problem in settings.problems]


def test_no_kb_toml_gives_the_defaults(tmp_path):
    settings = load_settings(tmp_path / "kb.toml")

    assert settings == Settings()
    assert (settings.gate, settings.sales_kinds, settings.thresholds) == (DEFAULT_GATE, DEFAULT_SALES_KINDS, THRESHOLDS)


def test_every_setting_is_read(tmp_path):
    settings = settings_of(
        tmp_path,
        """\
name = "Acme Labs"
as_of = 2026-03-13
gate = 7
sales_kinds = ["discovery", "onboarding"]
founders = ["Ana", "Ben"]
database_url = "  sqlite:///kb.db  "

[thresholds]
weeks = 2
settle_days = 0

[sources."Cold Email"]
scalable = true
cost = 1200

[sources.referral]
cost = 0.5
""",
    )

    assert said(settings) == []
    assert settings.name == "Acme Labs"
    assert settings.as_of == dt.date(2026, 3, 13)
    assert settings.gate == 7
    assert settings.sales_kinds == ("discovery", "onboarding")
    assert settings.founders == ["Ana", "Ben"]
    assert settings.database_url == "sqlite:///kb.db"
    assert settings.thresholds == {**THRESHOLDS, "weeks": 2, "settle_days": 0}
    assert settings.sources == {
        "cold email": Source(name="Cold Email", scalable=True, cost=1200.0),
        "referral": Source(name="referral", scalable=False, cost=0.5),
    }
    assert isinstance(settings.sources["cold email"].cost, float)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'name = "A"\ngaet = 6\n',
            [f"kb.toml:2: error: unknown setting 'gaet' (did you mean 'gate'?); known settings: {KNOWN_SETTINGS}"],
            id="unknown-setting-did-you-mean",
        ),
        pytest.param(
            'colour = "blue"\n',
            [f"kb.toml:1: error: unknown setting 'colour'; known settings: {KNOWN_SETTINGS}"],
            id="unknown-setting",
        ),
        pytest.param(
            'name = "A"\n[thresholds]\nweeks = 2\n[bogus]\nx = 1\n',
            [f"kb.toml:4: error: unknown setting 'bogus'; known settings: {KNOWN_SETTINGS}"],
            id="unknown-table",
        ),
        pytest.param("name = 3\n", ["kb.toml:1: error: name: expected text; got 3"], id="name-not-text"),
        pytest.param(
            'as_of = "2026-03-13"\n',
            ["kb.toml:1: error: as_of: expected a TOML date such as as_of = 2026-03-18 (no quotes); got '2026-03-13'"],
            id="as-of-quoted",
        ),
        pytest.param(
            "as_of = 2026-03-13T10:00:00\n",
            [
                "kb.toml:1: error: as_of: expected a TOML date such as as_of = 2026-03-18 (no quotes); "
                "got datetime.datetime(2026, 3, 13, 10, 0)"
            ],
            id="as-of-date-and-time",
        ),
        pytest.param(
            "as_of = 2999-01-01\n",
            [
                "kb.toml:1: error: as_of: 2999-01-01 is later than today; kb does not compute the future, "
                "so this setting is not used until that day"
            ],
            id="as-of-in-the-future",
        ),
        pytest.param(
            'gate = "five"\n',
            ["kb.toml:1: error: gate: expected a whole number of hell-yes customers; got 'five'"],
            id="gate-text",
        ),
        pytest.param(
            "gate = true\n",
            ["kb.toml:1: error: gate: expected a whole number of hell-yes customers; got True"],
            id="gate-bool",
        ),
        pytest.param(
            "gate = 5.5\n",
            ["kb.toml:1: error: gate: expected a whole number of hell-yes customers; got 5.5"],
            id="gate-fraction",
        ),
        pytest.param(
            'name = "A"\ngate = 4\n',
            [
                "kb.toml:2: error: gate: must be at least 5 hell-yes customers; got 4. "
                "The gate stays at 5: it can be raised, never lowered"
            ],
            id="gate-below-5",
        ),
        pytest.param(
            'sales_kinds = "demo"\n',
            [f"kb.toml:1: error: sales_kinds: expected a list of interview kinds from {KINDS}; got 'demo'"],
            id="sales-kinds-not-a-list",
        ),
        pytest.param(
            "sales_kinds = []\n",
            [f"kb.toml:1: error: sales_kinds: expected a list of interview kinds from {KINDS}; got []"],
            id="sales-kinds-empty",
        ),
        pytest.param(
            'sales_kinds = ["demo", 3]\n',
            [f"kb.toml:1: error: sales_kinds: expected a list of interview kinds from {KINDS}; got ['demo', 3]"],
            id="sales-kinds-not-text",
        ),
        pytest.param(
            'sales_kinds = ["discovry", "demo"]\n',
            [f"kb.toml:1: error: sales_kinds: expected kinds from {KINDS}; got 'discovry' (did you mean 'discovery'?)"],
            id="sales-kinds-unknown-kind-did-you-mean",
        ),
        pytest.param(
            'sales_kinds = ["demo", "zzz", "yyy"]\n',
            [f"kb.toml:1: error: sales_kinds: expected kinds from {KINDS}; got 'zzz'"],
            id="sales-kinds-unknown-kind",
        ),
        pytest.param(
            'founders = "Ana Ruiz"\n',
            [
                'kb.toml:1: error: founders: expected a list of names, such as founders = ["Ana", "Ben"]; '
                "got 'Ana Ruiz'"
            ],
            id="founders-not-a-list",
        ),
        pytest.param(
            'founders = ["Ana", 2]\n',
            [
                'kb.toml:1: error: founders: expected a list of names, such as founders = ["Ana", "Ben"]; '
                "got ['Ana', 2]"
            ],
            id="founders-not-text",
        ),
        pytest.param(
            'database_url = ""\n',
            [
                "kb.toml:1: error: database_url: expected a database URL such as sqlite:///path or postgresql://…; "
                "got ''"
            ],
            id="database-url-empty",
        ),
        pytest.param(
            'database_url = "   "\n',
            [
                "kb.toml:1: error: database_url: expected a database URL such as sqlite:///path or postgresql://…; "
                "got '   '"
            ],
            id="database-url-blank",
        ),
        pytest.param(
            "database_url = 5\n",
            ["kb.toml:1: error: database_url: expected a database URL such as sqlite:///path or postgresql://…; got 5"],
            id="database-url-not-text",
        ),
        pytest.param(
            "thresholds = 3\n",
            ["kb.toml:1: error: thresholds: expected a table [thresholds]; got 3"],
            id="thresholds-not-a-table",
        ),
        pytest.param(
            "[thresholds]\nsettle_dayz = 20\n",
            [
                "kb.toml:2: error: unknown threshold 'settle_dayz' (did you mean 'settle_days'?); "
                f"known thresholds: {KNOWN_THRESHOLDS}"
            ],
            id="threshold-unknown-did-you-mean",
        ),
        pytest.param(
            "[thresholds]\nfoo = 20\n",
            [f"kb.toml:2: error: unknown threshold 'foo'; known thresholds: {KNOWN_THRESHOLDS}"],
            id="threshold-unknown",
        ),
        pytest.param(
            "[thresholds]\nweeks = -1\n",
            ["kb.toml:2: error: thresholds.weeks: expected a whole number, 0 or more; got -1"],
            id="threshold-negative",
        ),
        pytest.param(
            "[thresholds]\nweeks = true\n",
            ["kb.toml:2: error: thresholds.weeks: expected a whole number, 0 or more; got True"],
            id="threshold-bool",
        ),
        pytest.param(
            '[thresholds]\nweeks = "four"\n',
            ["kb.toml:2: error: thresholds.weeks: expected a whole number, 0 or more; got 'four'"],
            id="threshold-text",
        ),
        pytest.param(
            "[thresholds]\nweeks = 2.5\n",
            ["kb.toml:2: error: thresholds.weeks: expected a whole number, 0 or more; got 2.5"],
            id="threshold-fraction",
        ),
        pytest.param(
            'sources = "cold email"\n',
            ["kb.toml:1: error: sources: expected tables such as [sources.\"cold email\"]; got 'cold email'"],
            id="sources-not-a-table",
        ),
        pytest.param(
            "sources = {cold = 3}\n",
            ["kb.toml:1: error: sources.cold: expected a table with scalable and cost; got 3"],
            id="source-not-a-table-inline",
        ),
        pytest.param(
            "[sources]\ncold = 3\n",
            ["kb.toml:2: error: sources.cold: expected a table with scalable and cost; got 3"],
            id="source-not-a-table",
        ),
        pytest.param(
            '[sources."cold email"]\nscalabel = true\n',
            [
                "kb.toml:2: error: unknown key 'scalabel' in [sources.cold email] (did you mean 'scalable'?); "
                "known keys: scalable, cost"
            ],
            id="source-key-unknown-did-you-mean",
        ),
        pytest.param(
            '[sources."cold email"]\nprice = 3\n',
            ["kb.toml:2: error: unknown key 'price' in [sources.cold email]; known keys: scalable, cost"],
            id="source-key-unknown",
        ),
        pytest.param(
            '[sources."cold email"]\nscalable = "yes"\n',
            ["kb.toml:2: error: sources.cold email.scalable: expected true or false; got 'yes'"],
            id="scalable-not-bool",
        ),
        pytest.param(
            '[sources."cold email"]\ncost = -5\n',
            ["kb.toml:2: error: sources.cold email.cost: expected a number, 0 or more; got -5"],
            id="cost-negative",
        ),
        pytest.param(
            '[sources."cold email"]\ncost = true\n',
            ["kb.toml:2: error: sources.cold email.cost: expected a number, 0 or more; got True"],
            id="cost-bool",
        ),
        pytest.param(
            '[sources."cold email"]\ncost = "12k"\n',
            ["kb.toml:2: error: sources.cold email.cost: expected a number, 0 or more; got '12k'"],
            id="cost-text",
        ),
        pytest.param(
            "name = 1\ngaet = 2\ngate = 3\n[thresholds]\nweeks = -1\nwekes = 1\n[sources.x]\ncost = -1\nscalable = 1\n",
            [
                f"kb.toml:2: error: unknown setting 'gaet' (did you mean 'gate'?); known settings: {KNOWN_SETTINGS}",
                "kb.toml:1: error: name: expected text; got 1",
                "kb.toml:3: error: gate: must be at least 5 hell-yes customers; got 3. "
                "The gate stays at 5: it can be raised, never lowered",
                "kb.toml:5: error: thresholds.weeks: expected a whole number, 0 or more; got -1",
                "kb.toml:6: error: unknown threshold 'wekes' (did you mean 'weeks'?); "
                f"known thresholds: {KNOWN_THRESHOLDS}",
                "kb.toml:8: error: sources.x.cost: expected a number, 0 or more; got -1",
                "kb.toml:9: error: sources.x.scalable: expected true or false; got 1",
            ],
            id="several-in-order",
        ),
        pytest.param(
            b'name = "Caf\xe9"\n',
            ["kb.toml:1: error: not UTF-8 text (byte 11 is 0xe9)"],
            id="not-utf-8",
        ),
        pytest.param(
            'name = "A"\n\ngate = = 5\n',
            ["kb.toml:3: error: not valid TOML: Invalid value (at line 3, column 8)"],
            id="not-toml",
        ),
    ],
)
def test_each_problem_is_said_in_exact_words_at_its_line(tmp_path, text, expected):
    assert said(settings_of(tmp_path, text)) == expected


@pytest.mark.parametrize(
    ("text", "attribute", "default"),
    [
        pytest.param("name = 3\n", "name", ""),
        pytest.param("as_of = 2999-01-01\n", "as_of", None),
        pytest.param("gate = 4\n", "gate", DEFAULT_GATE),
        pytest.param('sales_kinds = ["demo", "zzz"]\n', "sales_kinds", DEFAULT_SALES_KINDS),
        pytest.param('founders = ["Ana", 2]\n', "founders", None),
        pytest.param('database_url = " "\n', "database_url", None),
        pytest.param("[thresholds]\nweeks = -1\n", "thresholds", THRESHOLDS),
        pytest.param("sources = 3\n", "sources", {}),
        pytest.param("[sources]\ncold = 3\n", "sources", {}),
    ],
)
def test_a_wrong_value_leaves_the_default(tmp_path, text, attribute, default):
    settings = settings_of(tmp_path, text)

    assert len(settings.problems) == 1
    assert getattr(settings, attribute) == default


def test_a_source_with_a_wrong_value_keeps_its_other_keys(tmp_path):
    settings = settings_of(tmp_path, '[sources."Cold Email"]\nscalable = true\ncost = -5\nprice = 3\n')

    assert len(settings.problems) == 2
    assert settings.sources == {"cold email": Source(name="Cold Email", scalable=True, cost=None)}
