"""Timing helpers: whole processes with their peak memory, and order statistics."""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
# Reading PSS walks the page tables of every process of the tree: at 20 ms it took a share of a core
# from kb's two writer processes (a 10k rebuild 62 s alone, 99 s under the harness). Memory grows
# slowly; four looks a second see its peak.
POLL_SECONDS = 0.25


@dataclass
class Proc:
    wall_s: float
    returncode: int
    stdout: str
    stderr: str
    maxrss_mb: float  # the kernel's ru_maxrss from wait4: the largest single process of the tree
    tree_peak_mb: float | None  # the largest sum of PSS over the process tree seen by polling /proc

    @property
    def peak_mb(self) -> float:
        return max(self.maxrss_mb, self.tree_peak_mb or 0.0)


def _memory(pid: int) -> int:
    """The proportional set size of a process (its shared pages divided among their sharers), else its RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def _tree_memory(pid: int) -> int:
    """Memory of a process and all its descendants, from /proc: PSS, so that pages a forked worker still
    shares with its parent count once, not once per process as a sum of RSS would."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            total += _memory(current)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def run_process(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    env: dict | None = None,
    poll_memory: bool = False,
    timeout: float = 7200,
) -> Proc:
    """Run a command to its end and time it from spawn to reap (wall clock), with its peak memory.

    Peak memory comes from two sources: the kernel's ru_maxrss for this very child (os.wait4, not the
    RUSAGE_CHILDREN total, which mixes every child the harness ever had), which is exact but only counts
    the largest single process of the tree; and, with `poll_memory`, the sum of PSS over the process tree
    sampled every 20 ms, which catches worker processes running side by side without counting twice the
    pages they share with their parent. Output goes to files, so no pipe ever blocks the child.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = [0]
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_memory(proc.pid))
                done.wait(POLL_SECONDS)

        poller = threading.Thread(target=poll, daemon=True) if poll_memory else None
        if poller:
            poller.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            wall = time.perf_counter() - started
            killer.cancel()
            done.set()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if poller:
            poller.join()
        out.seek(0)
        err.seek(0)
        return Proc(
            wall_s=wall,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            maxrss_mb=usage.ru_maxrss / 1024,
            tree_peak_mb=peak[0] / 2**20 if poll_memory else None,
        )


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p95(values: list[float]) -> float | None:
    """The nearest-rank 95th percentile: the smallest value at or above 95% of the runs."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]
