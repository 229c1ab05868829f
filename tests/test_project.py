"""Project hygiene: the conda environment mirrors pyproject, and .ci/run runs the README's tests."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")


def _split(requirement: str) -> tuple[str, str]:
    name, version = REQUIREMENT.match(requirement.strip()).groups()  # type: ignore[union-attr]
    return name, version.strip()


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return dict(map(_split, requirements))


def _environment_requirements() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text()
    listed = text.split("\ndependencies:", 1)[1]
    requirements = [
        line.split("#", 1)[0].strip().removeprefix("- ")
        for line in listed.splitlines()
        if line.strip().startswith("- ") and not line.strip().endswith(":")
    ]
    return dict(_split(req) for req in requirements if _split(req)[0] not in ("python", "pip"))


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject() -> None:
    assert _environment_requirements() == _pyproject_requirements()


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert re.search(r"^make test$", ci, re.MULTILINE)
    assert "set -euo pipefail" in ci
