"""`kb check`: every problem of the KB at once, per file and across files.

Problems across files (duplicate slugs, broken or ambiguous links) are kept in the store as it is written
(kb.store.cross_problems); only the hell-yes rule's warnings are judged here, as they move with D.
"""

from __future__ import annotations

from kb.config import Settings
from kb.errors import WARNING, Problem
from kb.method.as_of import AsOf
from kb.method.hell_yes_rule import hell_yes
from kb.store import cross_problems
from kb.store.catalog import Catalog, StoryFacts


def problem_order(problem: Problem) -> tuple:
    """How `kb check` orders problems: kb.toml first, then by file, line, severity and message."""
    return (problem.path != "kb.toml", problem.path, problem.line, problem.severity, problem.message)


def find_problems(settings: Settings, catalog: Catalog, as_of: AsOf) -> list[Problem]:
    """All problems: kb.toml, each file alone, duplicate slugs, broken links, hell-yes stories."""
    problems = list(settings.problems)
    problems += catalog.file_problems_of()
    problems += cross_problems.stored(catalog.session)
    problems += hell_yes_warnings(settings, catalog, as_of)
    return sorted(set(problems), key=problem_order)


def problems_in_file(settings: Settings, catalog: Catalog, as_of: AsOf, path: str) -> list[Problem]:
    """The problems `kb check` reports for one file, read for that file alone."""
    problems = [p for p in settings.problems if p.path == path]
    problems += catalog.file_problems_of(path)
    problems += cross_problems.stored(catalog.session, path)
    problems += hell_yes_warnings(settings, catalog, as_of, path)
    return sorted(set(problems), key=problem_order)


def hell_yes_warnings(settings: Settings, catalog: Catalog, as_of: AsOf, path: str | None = None) -> list[Problem]:
    """A warning for each hell-yes story that does not count as of D (only the story at `path`, when given)."""
    # Only hell-yes stories and their customers are judged: a few rows, never the whole KB's.
    stories = catalog.stories(status="hell-yes", paths=None if path is None else [path])
    return story_warnings(settings, catalog, as_of, stories)


def story_warnings(settings: Settings, catalog: Catalog, as_of: AsOf, stories: list[StoryFacts]) -> list[Problem]:
    """A warning for each of these hell-yes stories that does not count as of D (an editor's unsaved story too)."""
    stories = [s for s in stories if s.status == "hell-yes"]
    if not stories:
        return []
    customers = catalog.customers({s.customer for s in stories if s.customer})
    verdicts = hell_yes(stories, customers, as_of.date, settings.thresholds["settle_days"])
    return [
        Problem(
            verdict.story.path,
            verdict.story.status_line,
            WARNING,
            f"hell-yes story does not count ({as_of.describe()}): {verdict.message}",
        )
        for verdict in verdicts.not_counting
    ]
