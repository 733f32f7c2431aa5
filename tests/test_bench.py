"""The benchmark command keeps working: one end-to-end run on a 200-record KB, and its report's pieces.

Benchmarks are not part of the suite's pass/fail: this only checks that `python -m bench.run` runs every
measurement and writes BENCHMARKS.md, the SVG and results.json with the expected sections and numbers.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from bench import report
from bench.corpus import generate
from bench.measure import median, p95, run_process
from tests.helpers import REPO


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "BENCHMARKS.md"
    cmd = [
        sys.executable,
        "-m",
        "bench.run",
        "--sizes",
        "200",
        "--repeat",
        "1",
        "--query-runs",
        "10",
        "--out",
        str(out),
        "--workdir",
        str(tmp),
        "--label",
        "smoke",
        "--page-runs",
        "2",
        "--load-seconds",
        "3",
    ]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp, out, result


@pytest.mark.slow  # bench_run runs the whole benchmark once for the module
def test_the_benchmark_command_writes_the_report(bench_run):
    tmp, out, result = bench_run
    text = out.read_text(encoding="utf-8")
    for section in (
        "# Benchmarks",
        "## The run",
        "## Targets, in this run",
        "## Summary",
        "## 200 records",
        "### Full builds",
        "### Freshness and whole processes",
        "### Query latency in process",
        "## The queries",
        "### Web pages of `kb serve`",
        "### Load test",
        "## Gains",
        "## Raw timings",
    ):
        assert section in text, section
    assert re.search(r"\| commit measured \| `([0-9a-f]{40}(-dirty)?|unknown[^`]*)` \|", text)
    assert "| reproduce | `python -m bench.run --sizes 200 --repeat 1" in text
    assert re.search(r"\| kb full rebuild \(records/s\) \| [\d,]+ \|", text)
    assert re.search(r"\| `kb index --rebuild` \| 1 \| [\d.]+ \| [\d.]+ \| [\d,]+ \| \d+ \| 1 \|", text)
    for cls in ("single", "and", "phrase", "field", "filter"):
        assert re.search(rf"\| {cls} \(\d+ runs\) \| [\d.]+ \| [\d.]+ \| ", text), cls
    # Sizes missing from the run are said to be so, never passed or failed silently; --help runs at any size.
    assert "| Full rebuild of 10k ≥ 3× faster than the straightforward pipeline incl. rendering | not measured" in text
    assert re.search(r"\| `kb --help` < 0.15 s as a whole process \| median [\d.]+ s .*\| \*\*(PASS|FAIL)\*\* \|", text)
    if shutil.which("rg"):
        assert re.search(r"\| [a-z]+ \| \d+ \| [\d.]+ \| [\d.]+ \| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|", text)
    else:
        assert "rg not installed" in text

    svg = (tmp / "bench/scaling.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed, self-contained
    assert root.tag.endswith("svg") and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    for label in (
        "kb index --rebuild",
        "straightforward Whoosh",
        "SQLite FTS5",
        "records in the KB (log scale)",
        "seconds (log scale)",
        "milliseconds (log scale)",
    ):
        assert label in svg, label

    runs = json.loads((tmp / "bench/results.json").read_text())["runs"]
    assert [r["label"] for r in runs] == ["smoke"]
    size = runs[0]["sizes"]["200"]
    assert size["files"] == 200 and len(size["build"]["kb"]["wall_s"]) == 1
    for cls in ("single", "and", "phrase", "field", "filter"):
        assert sum(len(e["ms"]["kb"]) for e in size["queries"]["queries"] if e["class"] == cls) >= 10, cls
    assert len(size["freshness"]["process_s"]) == 1 and len(size["edit"]["s"]) == 1
    # The queries are chosen from the corpus so that they find something (a rare word may miss at 200 records).
    assert sum(e["hits"]["kb"] == 0 for e in size["queries"]["queries"]) <= 2


@pytest.mark.slow
def test_gains_show_labelled_runs_side_by_side(bench_run):
    tmp, out, _ = bench_run
    before = json.loads((tmp / "bench/results.json").read_text())["runs"][0]
    after = copy.deepcopy(before)
    after["label"] = "after"
    after["sizes"]["200"]["build"]["kb"]["wall_s"] = [x / 2 for x in before["sizes"]["200"]["build"]["kb"]["wall_s"]]
    table = report.gains([before, after], after)
    assert "| figure | smoke<br>" in table and "| smoke → after |" in table
    assert re.search(r"\| 200: kb full rebuild, median \(s\) \| [\d.]+ \| [\d.]+ \| 2\.00× better \|", table)
    text = report.markdown(
        after, [before, after], "### What changed\nNotes from the lead.", "bench/scaling.svg", "bench/notes.md"
    )
    assert "Notes from the lead." in text.split("## Gains")[1]


def test_the_corpus_is_deterministic(tmp_path):
    one, two = generate(tmp_path / "one", 60, seed=7), generate(tmp_path / "two", 60, seed=7)
    files = sorted(p.relative_to(one) for p in one.rglob("*.md"))
    assert len(files) == 60
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def test_order_statistics_and_process_timing(tmp_path):
    assert median([3.0, 1.0, 2.0]) == 2.0 and median([1.0, 2.0, 3.0, 4.0]) == 2.5
    assert p95(list(map(float, range(1, 101)))) == 95.0 and p95([5.0]) == 5.0 and p95([]) is None
    proc = run_process([sys.executable, "-c", "b = bytearray(64 * 2**20); print('ok')"], poll_memory=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok" and proc.wall_s > 0
    assert proc.maxrss_mb >= 64 and proc.peak_mb >= 64
    # A worker process side by side with its parent (as Whoosh's procs=2 writer does) counts in the peak.
    both = (
        "import subprocess, sys, time; b = bytearray(48 * 2**20); "
        "subprocess.run([sys.executable, '-c', 'import time; b = bytearray(64 * 2**20); time.sleep(0.5)'])"
    )
    proc = run_process([sys.executable, "-c", both], poll_memory=True)
    assert proc.returncode == 0 and proc.tree_peak_mb >= 48 + 64 and proc.peak_mb >= 48 + 64
