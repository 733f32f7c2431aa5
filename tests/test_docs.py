"""The README documents what the code does: the alias table and the thresholds cannot drift."""

from __future__ import annotations

import re

from kb.config import THRESHOLDS
from kb.records.fields import QUESTIONS, question_for
from tests.helpers import REPO


def test_readme_alias_table_is_the_code_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for question in QUESTIONS:
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{question.key}` |"))
        documented = re.findall(r"`([^`]+)`", row.split("|")[3])
        assert documented == list(question.aliases), row
        assert question_for(question.heading) == question.key


def test_readme_lists_every_threshold_with_its_default():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, default in THRESHOLDS.items():
        assert re.search(rf"^{name} = {default}$", readme, re.M), name
