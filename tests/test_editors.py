"""The editor configurations in editors/: Neovim (run headless against `kb lsp`), Helix and VS Code (read)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kb.records.fields import QUESTIONS
from tests.helpers import REPO, KbFolder

EDITORS = REPO / "editors"
WAIT_MS = 30_000  # how long Neovim waits for the server's diagnostics (a cold start imports the whole of kb)

# Run inside Neovim after the documented configuration has opened the file: wait for the server's
# diagnostics of the buffer, then write them (and which clients attached, for a clear failure) as JSON.
PROBE = """
local out = vim.env.KB_PROBE_OUT
vim.wait(tonumber(vim.env.KB_PROBE_WAIT), function()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.severity == vim.diagnostic.severity.ERROR then return true end
  end
  return false
end, 50)
local found = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(found, { line = d.lnum, col = d.col, severity = d.severity, message = d.message })
end
local clients = {}
for _, client in pairs((vim.lsp.get_clients or vim.lsp.get_active_clients)()) do
  table.insert(clients, client.name)
end
local result = { diagnostics = found, clients = clients, filetype = vim.bo.filetype, log = vim.lsp.get_log_path() }
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
vim.cmd('qa!')
"""


def neovim_version(nvim: str) -> tuple[int, int]:
    """The (major, minor) version of a Neovim binary."""
    first = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
    found = re.search(r"v(\d+)\.(\d+)", first)
    assert found, f"no version in `nvim --version`: {first!r}"
    return int(found.group(1)), int(found.group(2))


def configuration_for(version: tuple[int, int]) -> Path:
    """The documented configuration this Neovim runs: kb.lua from 0.11, kb-0.8.lua for 0.8 to 0.10, else 0.7's."""
    if version >= (0, 11):
        return EDITORS / "neovim" / "kb.lua"
    if version >= (0, 8):
        return EDITORS / "neovim" / "kb-0.8.lua"
    return EDITORS / "neovim" / "kb-0.7.lua"


def kb_on_path(folder: Path) -> Path:
    """A `kb` command in `folder` that runs this interpreter's kb, as an installed `kb` would."""
    folder.mkdir(parents=True, exist_ok=True)
    command = folder / "kb"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kb "$@"\n', encoding="utf-8")
    command.chmod(0o755)
    return folder


def story_with_broken_link(kb: KbFolder) -> tuple[Path, int]:
    """A KB whose story links to a record that does not exist; the story and the 0-based line of the link."""
    kb.write("kb.toml", "")
    kb.customer("acme", stage="won", won="2026-01-10")
    lines = ["---", "customer: acme", "person: Jane Doe, CFO", "status: hell-yes", "tags: []", "---"]
    for question in QUESTIONS:
        lines += [f"## {question.heading}", f"Answer to {question.key}.", ""]
    link_line = 7  # the first answer
    lines[link_line] = "Their CFO asked for it, see [[nowhere-call]]."
    return kb.write("casestudies/acme-story.md", "\n".join(lines) + "\n"), link_line


@pytest.mark.slow
def test_neovim_with_the_documented_configuration_shows_a_broken_link_at_its_line(tmp_path):
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.fail("nvim is not installed: install Debian's package (apt-get install neovim), as .ci/run does")
    configuration = configuration_for(neovim_version(nvim))
    story, link_line = story_with_broken_link(KbFolder(tmp_path / "kb"))
    out = tmp_path / "diagnostics.json"
    probe = tmp_path / "probe.lua"
    probe.write_text(PROBE, encoding="utf-8")
    home = tmp_path / "home"  # Neovim's state, cache and log stay in the test's folder
    env = {
        **os.environ,
        "PATH": f"{kb_on_path(tmp_path / 'bin')}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "KB_PROBE_OUT": str(out),
        "KB_PROBE_WAIT": str(WAIT_MS),
    }
    env.pop("KB_ROOT", None)  # the server finds the KB from the editor's root folder, as for a user

    done = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "-u", str(configuration), str(story), "-c", f"luafile {probe}"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_MS / 1000 + 60,
    )

    assert out.exists(), f"Neovim wrote no result (exit {done.returncode}): {done.stdout}{done.stderr}"
    result = json.loads(out.read_text(encoding="utf-8"))
    log_file = Path(result["log"])
    log = log_file.read_text(encoding="utf-8", errors="replace")[-3000:] if log_file.is_file() else "(no LSP log)"
    assert result["filetype"] == "markdown"
    assert result["clients"] == ["kb"], f"{result}\n{log}"
    errors = [(d["line"], d["col"], d["message"]) for d in result["diagnostics"] if d["severity"] == 1]
    assert errors == [(link_line, 28, "link [[nowhere-call]] points to no record")], f"{result}\n{log}"


def test_helix_configuration_runs_kb_lsp_for_markdown_after_marksman():
    config = tomllib.loads((EDITORS / "helix" / "languages.toml").read_text(encoding="utf-8"))

    server = config["language-server"]["kb"]
    assert [server["command"], *server["args"]] == ["kb", "lsp"]
    markdown = next(language for language in config["language"] if language["name"] == "markdown")
    assert markdown["language-servers"] == ["marksman", "kb"]
    assert {"kb.toml", ".kb", "casestudies"} <= set(markdown["roots"])


def test_vscode_extension_manifest_starts_kb_lsp_for_markdown_in_a_kb():
    folder = EDITORS / "vscode"
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))

    assert manifest["main"] == "./extension.js"
    # Only in a KB's workspace, and there for its Markdown files (the client's document selector).
    assert manifest["activationEvents"] == ["workspaceContains:kb.toml", "workspaceContains:casestudies/*.md"]
    setting = manifest["contributes"]["configuration"]["properties"]["kb.command"]
    assert setting["default"] == "kb"
    assert manifest["license"] == "MIT" and (folder / "LICENSE").exists()
    # Exact versions, so that the committed lock file and `npm ci` agree.
    for name, version in {**manifest["dependencies"], **manifest["devDependencies"]}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]

    script = (folder / "extension.js").read_text(encoding="utf-8")
    assert "require('vscode-languageclient/node')" in script
    assert "args: ['lsp']" in script
    assert "TransportKind.stdio" in script
    assert "language: 'markdown'" in script
    assert "get('command', 'kb')" in script
