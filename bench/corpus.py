"""A deterministic synthetic KB: customers, interviews and case studies in kb's real format.

Sizes are like real notes (about 4.9 KB a record with front matter and five sections) and the text is
English-like, drawn from a Zipf-like vocabulary, so that term statistics look like a founder's notes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

from kb.records.fields import QUESTIONS

COMMON = (
    "the they we and to of a in that it for was on with is their our not but as have had at this "
    "be by so from an would were when what all about more if can them one team said there out "
    "than only just also because into how then who which do need every time"
).split()
DOMAIN = (
    "audit evidence auditor controls soc2 iso27001 policy vendor risk spreadsheet finance controller "
    "cfo board renewal pilot onboarding contract budget security questionnaire compliance deadline "
    "procurement champion integration workflow report dashboard export approval review quarter "
    "customer pricing discount legal signature rollout migration access logs ticket jira slack "
    "reconciliation close month ledger invoice payroll headcount hiring consultant tooling manual "
    "automation reminder owner status evidence-request screenshot sample population exception "
    "remediation finding deficiency walkthrough narrative matrix mapping framework trust portal"
).split()
SYLLABLES = (
    "ba be bi bo bu da de di do ka ke ki ko la le li lo lu ma me mi mo na ne ni no "
    "pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi vo za ze zi"
).split()
ENDINGS = ("", "n", "r", "s", "t", "l", "nd", "rt", "st", "x")
VOCABULARY_SIZE = 20_000  # a founder's notes use thousands of words, not hundreds
KINDS = ("discovery", "sales", "demo", "onboarding", "check-in", "renewal", "other")
STATUSES = ("draft", "meh", "churned", "hell-yes")
SOURCES = ("founder network", "cold email", "referral", "conference", "inbound content")
FIRST = "Maya Tomas Priya Hannah Owen Nina Greg Marta Leo Ada Sam Iris Raj Chen Lena Omar".split()
LAST = "Okafor Reyes Nair Brandt Sato Petrov Polanski Silva Moreau Kim Ito Novak Haddad Costa".split()
ROLES = ("VP Finance", "Controller", "CFO", "Head of IT", "IT Director", "Security Lead", "COO")
AS_OF = dt.date(2026, 3, 18)


class Words:
    """Zipf-like word stream over an English-like vocabulary: function words most often, the domain's
    words in the upper middle ranks, and a long tail of rarer words (made up from syllables)."""

    def __init__(self, rng: random.Random, size: int = VOCABULARY_SIZE):
        made: list[str] = []
        seen = set(COMMON) | set(DOMAIN)
        while len(made) < size - len(COMMON) - len(DOMAIN):
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(ENDINGS)
            if word not in seen:
                seen.add(word)
                made.append(word)
        # Domain words take ranks 60 to about 700, spread among made-up words of similar rank.
        middle = made[:600] + DOMAIN
        rng.shuffle(middle)
        self.vocabulary = COMMON + middle + made[600:]
        weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(self.vocabulary))]
        self.rng = rng
        self.cumulative = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def sentence(self, low: int = 9, high: int = 22) -> str:
        count = self.rng.randint(low, high)
        words = self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}, {rng.choice(ROLES)}"


def generate(root: Path, records: int, seed: int = 42) -> Path:
    """Write a KB of about `records` records under `root` (replacing it) and return it."""
    rng = random.Random(seed)
    words = Words(rng)
    if root.exists():
        shutil.rmtree(root)
    customers = max(records // 10, 3)
    stories = max(records // 10, 3)
    interviews = records - customers - stories
    for folder in ("content/customers", "content/interviews", "casestudies"):
        (root / folder).mkdir(parents=True)
    (root / "kb.toml").write_text(f'name = "bench {records}"\nas_of = {AS_OF.isoformat()}\n')
    slugs = [f"customer-{n:05d}" for n in range(customers)]
    calls: dict[str, list[str]] = {slug: [] for slug in slugs}
    for n in range(interviews):
        customer = slugs[n % customers]
        day = AS_OF - dt.timedelta(days=rng.randint(1, 700))
        kind = rng.choice(KINDS)
        slug = f"{day.isoformat()}-{customer}-{kind}-{n:06d}"
        calls[customer].append(slug)
        body = "\n\n".join(
            f"## {heading}\n{words.paragraph(rng.randint(9, 13))}"
            for heading in ("Notes", "What they said", "Objections", "Quotes", "Next steps")
        )
        _write(
            root / "content/interviews" / day.strftime("%Y-%m") / f"{slug}.md",
            f"---\ncustomer: {customer}\ndate: {day.isoformat()}\nkind: {kind}\n"
            f'people: ["{_person(rng)}"]\nowner: {rng.choice(FIRST)}\n---\n{body}\n',
        )
    for n, slug in enumerate(slugs):
        won = AS_OF - dt.timedelta(days=rng.randint(10, 600))
        stage = rng.choice(("lead", "qualified", "customer", "customer", "churned"))
        lines = [
            f"name: Company {n}",
            f"stage: {stage}",
            f"source: {rng.choice(SOURCES)}",
            f"owner: {rng.choice(FIRST)}",
            f"segment: {rng.choice(('fintech', 'health', 'saas'))}",
        ]
        if stage in ("qualified", "customer", "churned"):
            lines.append(f"qualified_on: {(won - dt.timedelta(days=rng.randint(5, 60))).isoformat()}")
        if stage in ("customer", "churned"):
            lines += [f"won_on: {won.isoformat()}", f"acv: {rng.randint(6, 60) * 1000}"]
        if stage == "churned":
            lines.append(f"churned_on: {(won + dt.timedelta(days=rng.randint(1, 9))).isoformat()}")
        body = "\n\n".join(
            f"## {h}\n{words.paragraph(rng.randint(11, 15))}"
            for h in ("Who they are", "Notes", "Stakeholders", "History")
        )
        _write(root / "content/customers" / f"{slug}.md", "---\n" + "\n".join(lines) + f"\n---\n{body}\n")
    for n in range(stories):
        customer = slugs[n % customers]
        cited = calls[customer][:3]
        sections = []
        for question in QUESTIONS:
            link = f" [[{rng.choice(cited)}]]" if cited else ""
            sections.append(f"## {question.heading}\n{words.paragraph(rng.randint(9, 13))}{link}")
        tags = rng.sample(("soc2", "audit", "finance-led", "series-b", "spreadsheet-hell", "iso"), 2)
        interviews_list = ", ".join(cited)
        _write(
            root / "casestudies" / f"{customer}-story-{n:05d}.md",
            f'---\ncustomer: {customer}\nperson: "{_person(rng)}"\nstatus: {rng.choice(STATUSES)}\n'
            f"interviews: [{interviews_list}]\ntags: [{', '.join(tags)}]\n---\n" + "\n\n".join(sections) + "\n",
        )
    return root


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("records", type=int)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    generate(args.root, args.records, args.seed)


if __name__ == "__main__":
    main()
