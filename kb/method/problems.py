"""`kb check`: every problem of the KB at once, per file and across files."""

from __future__ import annotations

import difflib
from collections import defaultdict

from kb.config import Settings
from kb.errors import ERROR, WARNING, Problem, did_you_mean
from kb.method.as_of import AsOf
from kb.method.hell_yes_rule import hell_yes
from kb.store.catalog import Catalog

TYPE_WORDS = {"customer": "customers", "casestudy": "case studies", "interview": "interviews"}


def find_problems(settings: Settings, catalog: Catalog, as_of: AsOf) -> list[Problem]:
    """All problems: kb.toml, each file alone, duplicate slugs, broken links, hell-yes stories."""
    problems = list(settings.problems)
    problems += [Problem(p.path, p.line, p.severity, p.message) for p in catalog.file_problems()]
    problems += _duplicate_slugs(catalog)
    problems += _link_problems(catalog)
    customers = catalog.customers()
    stories = catalog.stories()
    verdicts = hell_yes(stories, customers, as_of.date, settings.thresholds["settle_days"])
    for verdict in verdicts.not_counting:
        problems.append(
            Problem(
                verdict.story.path,
                verdict.story.status_line,
                WARNING,
                f"hell-yes story does not count ({as_of.describe()}): {verdict.message}",
            )
        )
    return sorted(set(problems), key=lambda p: (p.path != "kb.toml", p.path, p.line, p.severity, p.message))


def _duplicate_slugs(catalog: Catalog) -> list[Problem]:
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


def _link_problems(catalog: Catalog) -> list[Problem]:
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
        # A slug is a file name, so case counts; but `Zealot` beside zealot.md is a typo, not a new customer.
        same = _same_but_case(slug, customer_slugs)
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


def _same_but_case(slug: str, slugs: list[str]) -> str | None:
    return next((other for other in sorted(slugs) if other.lower() == slug.lower()), None)
