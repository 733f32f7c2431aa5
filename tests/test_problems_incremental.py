"""Cross-file problems kept in the store as files change: after every refresh, exactly what a judging of the
whole KB from scratch finds (the rules as `kb check` applied them before they were stored), same messages.

A KB with every kind of cross-file problem goes through edits, renames and deletions, refreshed after
each; the stored problems are compared with the reference below, and `kb check` with both.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict

import pytest

from kb.config import Kb
from kb.errors import ERROR, WARNING, Problem, did_you_mean
from kb.method.as_of import resolve_as_of
from kb.method.problems import find_problems, hell_yes_warnings, problem_order
from kb.store import cross_problems
from kb.store.catalog import Catalog
from kb.workspace import Workspace

TYPE_WORDS = {"customer": "customers", "casestudy": "case studies", "interview": "interviews"}


# -- the reference: the whole KB judged from scratch, as `kb check` did before the problems were stored ----


def reference_duplicates(catalog: Catalog) -> list[Problem]:
    found = []
    for record_type, slugs in catalog.paths.items():
        for slug, paths in slugs.items():
            if len(paths) > 1:
                for path in paths:
                    others = ", ".join(p for p in paths if p != path)
                    found.append(
                        Problem(
                            path,
                            1,
                            ERROR,
                            f"slug '{slug}' is used by {len(paths)} "
                            f"{TYPE_WORDS[record_type]}: also {others}; rename one file",
                        )
                    )
    return found


def reference_links(catalog: Catalog) -> list[Problem]:
    found = []
    missing_customers: dict[str, list] = defaultdict(list)
    for link in catalog.links():
        targets = catalog.resolve(link.slug, link.target_type)
        if link.source_field == "customer":
            if not targets:
                missing_customers[link.slug].append(link)
            continue
        written = f"[[{link.target_type + ':' if link.target_type else ''}{link.slug}]]"
        if link.source_field == "interviews":
            if not targets:
                hint = did_you_mean(link.slug, catalog.slugs("interview"))
                found.append(
                    Problem(link.path, link.line, ERROR, f"interviews: '{link.slug}' is not an interview{hint}")
                )
            continue
        if not targets:
            pool = (
                catalog.slugs(link.target_type)
                if link.target_type
                else [s for t in catalog.paths for s in catalog.slugs(t)]
            )
            found.append(
                Problem(
                    link.path, link.line, ERROR, f"link {written} points to no record{did_you_mean(link.slug, pool)}"
                )
            )
        elif len(targets) > 1:
            kinds = " and ".join(f"a {t.type} ({t.path})" for t in targets)
            found.append(
                Problem(
                    link.path,
                    link.line,
                    WARNING,
                    f"link {written} matches {kinds}; it goes to the {targets[0].type}: write "
                    f"[[{targets[-1].type}:{link.slug}]] to mean the other",
                )
            )
    customer_slugs = catalog.slugs("customer") if missing_customers else []
    for slug, links in missing_customers.items():
        same = next((other for other in sorted(customer_slugs) if other.lower() == slug.lower()), None)
        if same:
            message = f"customer: '{slug}' has no customer file; did you mean '{same}'?"
        else:
            close = difflib.get_close_matches(slug.lower(), customer_slugs, n=1, cutoff=0.8)
            message = (
                f"customer: '{slug}' has no customer file yet (content/customers/{slug}.md); "
                + (f"did you mean '{close[0]}'? Else make" if close else "make")
                + f" one with `kb new customer {slug}`"
            )
        found += [Problem(link.path, link.line, WARNING, message) for link in links]
    return found


def reference_check(workspace: Workspace) -> list[Problem]:
    """Every problem, judged from scratch."""
    as_of = resolve_as_of(None, workspace.settings)
    with workspace.session() as session:
        catalog = Catalog(session)
        problems = list(workspace.settings.problems)
        problems += catalog.file_problems_of()
        problems += reference_duplicates(catalog) + reference_links(catalog)
        problems += hell_yes_warnings(workspace.settings, catalog, as_of)
    return sorted(set(problems), key=problem_order)


def assert_in_step(workspace: Workspace) -> list[Problem]:
    """The stored cross-file problems are the reference's, and `kb check`'s list is the reference's."""
    workspace.refresh()
    with workspace.session() as session:
        catalog = Catalog(session)
        stored = sorted(cross_problems.stored(session), key=problem_order)
        expected = sorted(set(reference_duplicates(catalog) + reference_links(catalog)), key=problem_order)
        assert stored == expected
        checked = find_problems(workspace.settings, Catalog(session), resolve_as_of(None, workspace.settings))
    assert checked == reference_check(workspace)
    for problem in checked:  # a record's page shows exactly its file's share
        with workspace.session() as session:
            from kb.method.problems import problems_in_file

            mine = problems_in_file(
                workspace.settings, Catalog(session), resolve_as_of(None, workspace.settings), problem.path
            )
        assert mine == [p for p in checked if p.path == problem.path]
    return stored


def story(customer: str, body: str = "", interviews: str = "[]", status: str = "meh") -> str:
    return f"---\ncustomer: {customer}\nperson: Jane\nstatus: {status}\ninterviews: {interviews}\n---\n{body}\n"


def call(customer: str, day: str = "2026-01-10") -> str:
    return f"---\ncustomer: {customer}\ndate: {day}\nkind: discovery\n---\nNotes.\n"


def customer_file(name: str) -> str:
    return f"---\nname: {name}\nstage: customer\nwon_on: 2025-06-01\n---\nNotes.\n"


@pytest.fixture
def messy(kb_root):
    """A KB with every kind of cross-file problem."""
    kb_root.write("content/customers/acme.md", customer_file("Acme"))
    kb_root.write("content/customers/globex.md", customer_file("Globex"))
    kb_root.write("content/customers/zealot.md", customer_file("Zealot"))
    kb_root.write("content/interviews/acme.md", call("acme"))  # a bare [[acme]] is now ambiguous
    kb_root.write("content/interviews/2026-01-10-acme.md", call("acme"))
    kb_root.write("content/interviews/old/2026-01-10-acme.md", call("acme"))  # a duplicate slug
    kb_root.write("content/interviews/2026-02-01-globex.md", call("globex"))
    kb_root.write(
        "casestudies/acme-story.md",
        story(
            "acme",
            "## Why did they have to change?\nSee [[acme]], [[2026-01-10-acme]], [[2026-01-11-acme]], "
            "[[interview:acme-storyy]], [[customer:globx]] and [[nothing-like-it]].\n",
            interviews="[2026-01-10-acme, 2026-02-01-globx]",
            status="hell-yes",
        ),
    )
    kb_root.write("casestudies/zealot-story.md", story("Zealot"))  # same but case
    kb_root.write("casestudies/globex-story.md", story("globexx", "Mentions [[globex]] and [[glob]]."))
    kb_root.write("casestudies/initech-story.md", story("initech"))  # no customer file, nothing close
    return kb_root


def test_every_kind_is_stored_and_matches_a_judging_from_scratch(messy):
    workspace = Workspace(Kb(messy.root))
    try:
        stored = assert_in_step(workspace)
        text = "\n".join(p.message for p in stored)
        for expected in (
            "slug '2026-01-10-acme' is used by 2 interviews",
            "link [[acme]] matches a customer (content/customers/acme.md) and a interview",
            "link [[2026-01-11-acme]] points to no record (did you mean '2026-01-10-acme'?)",
            "link [[customer:globx]] points to no record (did you mean 'globex'?)",
            "link [[nothing-like-it]] points to no record",
            "interviews: '2026-02-01-globx' is not an interview (did you mean '2026-02-01-globex'?)",
            "customer: 'Zealot' has no customer file; did you mean 'zealot'?",
            "customer: 'globexx' has no customer file yet (content/customers/globexx.md); did you mean 'globex'?",
            "customer: 'initech' has no customer file yet (content/customers/initech.md); make one",
        ):
            assert expected in text, text
    finally:
        workspace.close()


def test_edits_renames_and_deletions_keep_the_stored_problems_exact(messy):
    root = messy.root
    workspace = Workspace(Kb(root))
    steps = [
        # A file that a broken link names appears: the link is fixed, others' hints may change.
        lambda: messy.write("content/interviews/2026-01-11-acme.md", call("acme")),
        # A slug close to a broken link appears: its hint changes.
        lambda: messy.write("content/interviews/nothing-like-its.md", call("acme")),
        # The hint's file goes away: the hint goes back.
        lambda: (root / "content/interviews/nothing-like-its.md").unlink(),
        # The duplicate goes away.
        lambda: (root / "content/interviews/old/2026-01-10-acme.md").unlink(),
        # A customer file is renamed: links to the old slug break, the new slug resolves others.
        lambda: (root / "content/customers/globex.md").rename(root / "content/customers/globexx.md"),
        # The same but case customer gets its own file.
        lambda: messy.write("content/customers/Zealot.md", customer_file("Zealot Two")),
        # A story's links change, and a story moves to another slug.
        lambda: messy.write("casestudies/acme-story.md", story("acme", "Only [[zealot]] and [[glob]].")),
        lambda: (root / "casestudies/globex-story.md").rename(root / "casestudies/acme.md"),
        # A duplicate appears between folders, and an interview named like a customer is deleted.
        lambda: messy.write("content/interviews/old/2026-02-01-globex.md", call("globexx")),
        lambda: (root / "content/interviews/acme.md").unlink(),
        # A new customer that a `customer:` key was missing; then every story goes.
        lambda: messy.write("content/customers/initech.md", customer_file("Initech")),
        lambda: [path.unlink() for path in (root / "casestudies").glob("*.md")],
    ]
    try:
        assert_in_step(workspace)
        for number, step in enumerate(steps, start=1):
            step()
            try:
                assert_in_step(workspace)
            except AssertionError as failure:
                raise AssertionError(f"after step {number}: {failure}") from None
    finally:
        workspace.close()


def test_kb_check_prints_the_stored_problems(messy, runner):
    workspace = Workspace(Kb(messy.root))
    try:
        workspace.refresh()  # built before `kb check` runs: its output is the problems alone
        result = runner(messy, "check", "--json")
        expected = reference_check(workspace)
    finally:
        workspace.close()
    problems = json.loads(result.output)
    assert [(p["path"], p["line"], p["severity"], p["message"]) for p in problems] == [
        (p.path, p.line, p.severity, p.message) for p in expected
    ]


def test_the_generation_moves_only_when_files_change(messy):
    workspace = Workspace(Kb(messy.root))
    try:
        workspace.refresh()
        with workspace.session() as session:
            first = cross_problems.generation(session)
        workspace.refresh()
        with workspace.session() as session:
            assert cross_problems.generation(session) == first
        messy.write("content/customers/hooli.md", customer_file("Hooli"))
        workspace.refresh()
        with workspace.session() as session:
            assert cross_problems.generation(session) not in ("", first)
    finally:
        workspace.close()


def test_a_record_types_generation_moves_only_when_a_file_of_that_type_changes(messy):
    """The server keeps customers' names by the customers' generation: a story saved every second leaves
    them as they are, a customer's file written, renamed to a call or deleted does not."""
    workspace = Workspace(Kb(messy.root))

    def generations() -> dict[str | None, str]:
        with workspace.session() as session:
            return {kind: cross_problems.generation(session, kind) for kind in (None, "customer", "casestudy")}

    try:
        workspace.refresh()
        first = generations()
        assert "" not in first.values()
        story_path = messy.root / "casestudies/acme-story.md"
        story_path.write_text(story_path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        workspace.refresh()
        second = generations()
        assert second["customer"] == first["customer"]
        assert second[None] != first[None] and second["casestudy"] != first["casestudy"]
        messy.write("content/customers/hooli.md", customer_file("Hooli"))
        workspace.refresh()
        third = generations()
        assert third["customer"] != second["customer"] and third["casestudy"] == second["casestudy"]
        (messy.root / "content/customers/hooli.md").rename(messy.root / "content/interviews/hooli.md")
        workspace.refresh()
        assert generations()["customer"] != third["customer"]
    finally:
        workspace.close()
