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
NEOVIM = EDITORS / "neovim"
WAIT_MS = 30_000  # how long Neovim waits for the server's diagnostics (a cold start imports the whole of kb)

# Run inside Neovim after the documented configuration has opened the file: wait for the server's
# diagnostics of the buffer (an error, or KB_PROBE_WAIT ms), then write them and which clients attached
# (for a clear failure) as JSON. vim.diagnostic exists from 0.6; get_clients replaced get_active_clients in 0.10.
PROBE = """
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
vim.fn.writefile({ vim.fn.json_encode(result) }, vim.env.KB_PROBE_OUT)
vim.cmd('qa!')
"""


def neovim() -> str:
    """The Neovim to run: KB_TEST_NVIM (another version, tried by hand), else `nvim` on PATH (Debian's in CI)."""
    nvim = os.environ.get("KB_TEST_NVIM") or shutil.which("nvim")
    if nvim is None:
        # Skipped on a developer's machine without it, as the browser tests without Chromium; in CI a skip fails.
        pytest.skip("nvim is not installed: install Debian's package (apt-get install neovim), as .ci/run does")
    return nvim


def neovim_version(nvim: str) -> tuple[int, int]:
    """The (major, minor) version of a Neovim binary."""
    first = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
    found = re.search(r"v(\d+)\.(\d+)", first)
    assert found, f"no version in `nvim --version`: {first!r}"
    return int(found.group(1)), int(found.group(2))


def configurations_for(version: tuple[int, int]) -> list[Path]:
    """The documented configurations this Neovim runs: the older one always, kb.lua from 0.11 on."""
    return [NEOVIM / "kb-older.lua", *([NEOVIM / "kb.lua"] if version >= (0, 11) else [])]


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
    kb.customer("acme", stage="won", won_on="2026-01-10")
    lines = ["---", "customer: acme", "person: Jane Doe, CFO", "status: hell-yes", "tags: []", "---"]
    for question in QUESTIONS:
        lines += [f"## {question.heading}", f"Answer to {question.key}.", ""]
    link_line = 7  # the first answer
    lines[link_line] = "Their CFO asked for it, see [[nowhere-call]]."
    return kb.write("casestudies/acme-story.md", "\n".join(lines) + "\n"), link_line


def open_in_neovim(nvim: str, configuration: Path, file: Path, work: Path, wait_ms: int = WAIT_MS) -> dict:
    """Open `file` in headless Neovim with only `configuration` loaded; what the probe read back."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / "result.json"
    probe = work / "probe.lua"
    probe.write_text(PROBE, encoding="utf-8")
    home = work / "home"  # Neovim's state, cache and log stay in the test's folder
    env = {
        **os.environ,
        "PATH": f"{kb_on_path(work / 'bin')}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "KB_PROBE_OUT": str(out),
        "KB_PROBE_WAIT": str(wait_ms),
    }
    env.pop("KB_ROOT", None)  # the server finds the KB from the editor's root folder, as for a user
    done = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "-u", str(configuration), str(file), "-c", f"luafile {probe}"],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=wait_ms / 1000 + 60,
    )
    assert out.exists(), f"Neovim wrote no result (exit {done.returncode}): {done.stdout}{done.stderr}"
    result = json.loads(out.read_text(encoding="utf-8"))
    log_file = Path(result["log"])
    result["log"] = log_file.read_text(encoding="utf-8", errors="replace")[-3000:] if log_file.is_file() else ""
    return result


@pytest.mark.slow
def test_neovim_with_the_documented_configuration_shows_a_broken_link_at_its_line(tmp_path):
    nvim = neovim()
    story, link_line = story_with_broken_link(KbFolder(tmp_path / "kb"))

    for configuration in configurations_for(neovim_version(nvim)):
        result = open_in_neovim(nvim, configuration, story, tmp_path / configuration.stem)

        assert result["filetype"] == "markdown"
        assert result["clients"] == ["kb"], f"{configuration.name}: {result}"
        errors = [(d["line"], d["col"], d["message"]) for d in result["diagnostics"] if d["severity"] == 1]
        assert errors == [(link_line, 28, "link [[nowhere-call]] points to no record")], (
            f"{configuration.name}: {result}"
        )


@pytest.mark.slow
def test_neovim_with_the_documented_configuration_starts_no_server_for_markdown_outside_a_kb(tmp_path):
    nvim = neovim()
    note = tmp_path / "notes" / "todo.md"
    note.parent.mkdir()
    note.write_text("# To do\n\nSee [[nowhere]].\n", encoding="utf-8")

    for configuration in configurations_for(neovim_version(nvim)):
        result = open_in_neovim(nvim, configuration, note, tmp_path / configuration.stem, wait_ms=1000)

        assert result["filetype"] == "markdown"
        assert result["clients"] == [] and result["diagnostics"] == [], f"{configuration.name}: {result}"


def test_neovim_configuration_for_0_11_enables_kb_lsp_for_markdown_in_a_kb():
    # Run by the test above only where Neovim is 0.11 or later (Debian 12 ships 0.7): here, what it says.
    lua = (NEOVIM / "kb.lua").read_text(encoding="utf-8")
    code = "\n".join(line for line in lua.splitlines() if not line.lstrip().startswith("--"))

    assert re.search(r"vim\.lsp\.config\('kb', \{\s*cmd = \{ 'kb', 'lsp' \},", code)
    assert "filetypes = { 'markdown' }" in code and "root_markers = { 'kb.toml', '.kb', 'casestudies' }" in code
    assert "workspace_required = true" in code and "vim.lsp.enable('kb')" in code
    for name in ("kb.lua", "kb-older.lua"):  # each says which Neovim it is for
        header = (NEOVIM / name).read_text(encoding="utf-8").splitlines()[0]
        assert re.search(r"Neovim 0\.\d+", header), f"{name}: {header}"


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
    # Woken by a Markdown file; extension.js starts the server only in a KB (kb.toml or casestudies/ at its top).
    assert manifest["activationEvents"] == ["onLanguage:markdown"]
    setting = manifest["contributes"]["configuration"]["properties"]["kb.command"]
    assert setting["default"] == "kb"
    assert manifest["license"] == "MIT" and (folder / "LICENSE").exists()  # pyproject.toml's license
    # Exact versions, so that the committed lock file and `npm ci` agree.
    for name, version in {**manifest["dependencies"], **manifest["devDependencies"]}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    assert lock["packages"][""]["devDependencies"] == manifest["devDependencies"]

    script = (folder / "extension.js").read_text(encoding="utf-8")
    assert "require('vscode-languageclient/node')" in script
    assert "findFiles('{kb.toml,casestudies/*.md}'" in script
    assert "args: ['lsp']" in script
    assert "TransportKind.stdio" in script
    assert "language: 'markdown'" in script
    assert "get('command', 'kb')" in script
