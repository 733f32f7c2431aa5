"""Which stories compare compares, and who and what they are about: the filters, and the people and triggers.

A filter narrows both sides at once: by status, tags (every one named), the customer's source and owner
(case-insensitive), a segment (the customer's `segment`, a story tag written `segment:<name>`, or the tag
`<name>` itself) and the day the
customer was won (a range, both ends included). The people and triggers set hell-yes stories beside the
others as counts of stories (never rates: counting stories is the work that earns the metrics): the role
of the ONE person (what `person` says after its first comma, grouped case-insensitively), the customer's
source, the story's tags.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from kb.method.company import Company
from kb.store.catalog import StoryFacts

CONTRAST_STATUSES = ("meh", "churned")
COMPARED_STATUSES = ("hell-yes", *CONTRAST_STATUSES)
SEGMENT_PREFIXES = ("segment:", "segment/")


@dataclass(frozen=True)
class CompareFilter:
    """The stories to compare; empty fields do not narrow."""

    statuses: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""
    owner: str = ""
    segment: str = ""
    won_from: dt.date | None = None
    won_to: dt.date | None = None

    @property
    def active(self) -> bool:
        """Whether any filter narrows the stories."""
        return any((self.statuses, self.tags, self.source, self.owner, self.segment, self.won_from, self.won_to))

    def as_args(self) -> dict[str, str | list[str]]:
        """The filter as query parameters (the compare page's form)."""
        args: dict[str, str | list[str]] = {}
        if self.statuses:
            args["status"] = list(self.statuses)
        if self.tags:
            args["tag"] = list(self.tags)
        for name in ("source", "owner", "segment"):
            if getattr(self, name):
                args[name] = getattr(self, name)
        if self.won_from:
            args["won_from"] = self.won_from.isoformat()
        if self.won_to:
            args["won_to"] = self.won_to.isoformat()
        return args

    def describe(self) -> str:
        """The filter in words ("tag soc2, source cold email"), or ""."""
        parts = [f"status {' or '.join(self.statuses)}"] if self.statuses else []
        parts += [f"tag {tag}" for tag in self.tags]
        parts += [f"{name} {getattr(self, name)}" for name in ("source", "owner", "segment") if getattr(self, name)]
        if self.won_from or self.won_to:
            parts.append(f"won {self.won_from or '…'} to {self.won_to or '…'}")
        return ", ".join(parts)

    def keeps(self, story: StoryFacts, company: Company, tags: Iterable[str], segment: str = "") -> bool:
        """Whether the story passes every filter (`segment`: its customer's)."""
        if self.statuses and story.status not in self.statuses:
            return False
        carried = {t.strip().casefold() for t in tags}
        if any(t.casefold() not in carried for t in self.tags):
            return False
        wanted = self.segment.strip().casefold()
        if wanted and wanted != segment.strip().casefold():
            if not {p + wanted for p in ("", *SEGMENT_PREFIXES)} & carried:
                return False
        customer = company.customers.get(story.customer or "")
        for name in ("source", "owner"):
            wanted = getattr(self, name)
            if wanted and (getattr(customer, name, None) or "").strip().casefold() != wanted.strip().casefold():
                return False
        if self.won_from or self.won_to:
            won = customer.won_on if customer else None
            if won is None or (self.won_from and won < self.won_from) or (self.won_to and won > self.won_to):
                return False
        return True


def sides_of(
    company: Company, tags: dict[str, list[str]], filters: CompareFilter, segments: dict[str, str] | None = None
) -> dict[str, list[StoryFacts]]:
    """The hell-yes stories by customer, then the meh and the churned ones by customer, as the filter keeps
    (`segments`: each customer's segment)."""
    segments = segments or {}
    kept = [
        s
        for s in company.stories
        if s.status in COMPARED_STATUSES
        and filters.keeps(s, company, tags.get(s.path, []), segments.get(s.customer or "", ""))
    ]
    hell = sorted((s for s in kept if s.status == "hell-yes"), key=lambda s: (s.customer or "", s.slug))
    contrast = sorted(
        (s for s in kept if s.status in CONTRAST_STATUSES),
        key=lambda s: (CONTRAST_STATUSES.index(s.status or "meh"), s.customer or "", s.slug),
    )
    return {"hell-yes": hell, "contrast": contrast}


@dataclass
class Options:
    """What the filters can choose from: every value the compared stories have."""

    tags: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)


def options_of(company: Company, tags: dict[str, list[str]], segments: dict[str, str] | None = None) -> Options:
    """The tags, sources, owners and segments of the hell-yes, meh and churned stories, sorted."""
    stories = [s for s in company.stories if s.status in COMPARED_STATUSES]
    carried = {t.strip().casefold() for s in stories for t in tags.get(s.path, []) if t.strip()}
    customers = [company.customers[s.customer] for s in stories if s.customer in company.customers]
    named = {t.split(p[-1], 1)[1] for t in carried for p in SEGMENT_PREFIXES if t.startswith(p)}
    named |= {v.strip().casefold() for s in stories if (v := (segments or {}).get(s.customer or "", "")).strip()}

    def values(name: str) -> list[str]:
        found = {(getattr(c, name) or "").strip() for c in customers}
        return sorted((v for v in {v.casefold(): v for v in found if v}.values()), key=str.casefold)

    return Options(sorted(carried), values("source"), values("owner"), sorted(named))


@dataclass
class Count:
    """One value (a role, a source, a tag) and how many stories of each side have it."""

    value: str
    hell_yes: int
    others: int


@dataclass
class People:
    """The ONE person's role, the source and the tags of hell-yes stories beside the others', as counts."""

    roles: list[Count]
    sources: list[Count]
    tags: list[Count]

    def groups(self) -> list[tuple[str, str, list[Count]]]:
        """(key, title, counts) of each group, in the order shown."""
        return [
            ("role", "Role of the ONE person", self.roles),
            ("source", "Source", self.sources),
            ("tag", "Tags", self.tags),
        ]


def role_of(person: str | None) -> str:
    """The role in `person` ("Jane Doe, VP Finance" → "VP Finance"), or "" when it names none."""
    if not person or "," not in person:
        return ""
    return " ".join(person.split(",", 1)[1].split())


def people_of(company: Company, sides: dict[str, list[StoryFacts]], tags: dict[str, list[str]]) -> People:
    """The roles, sources and tags of each side, counted once per story, most hell-yes first."""

    def source(story: StoryFacts) -> list[str]:
        customer = company.customers.get(story.customer or "")
        return [customer.source] if customer and customer.source else []

    def counted(values_of) -> list[Count]:
        written: dict[str, str] = {}
        counts = {side: Counter[str]() for side in sides}
        for side, stories in sides.items():
            for story in stories:
                mine = {v.strip().casefold(): v.strip() for v in values_of(story) if v and v.strip()}
                for key, shown in mine.items():
                    written.setdefault(key, shown)
                    counts[side][key] += 1
        found = [Count(shown, counts["hell-yes"][key], counts["contrast"][key]) for key, shown in written.items()]
        return sorted(found, key=lambda c: (-c.hell_yes, c.others, c.value.casefold()))

    return People(
        counted(lambda s: [role_of(s.person)]),
        counted(source),
        counted(lambda s: tags.get(s.path, [])),
    )
