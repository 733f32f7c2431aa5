"""The files kb ships beside its code: the web pages' templates and the skeletons of `kb new`."""

from __future__ import annotations

from pathlib import Path


def builtin_templates() -> Path:
    """kb's own templates/: inside the package in a wheel, at the repository top in a checkout."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"
