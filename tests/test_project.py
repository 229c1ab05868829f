"""Project hygiene: the conda environment mirrors pyproject, and .ci/run runs the README's tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


def test_without_a_c_compiler_the_build_skips_the_compiled_engine_and_succeeds(tmp_path) -> None:
    # CC=/bin/false stands in for a machine without a C compiler (the install itself is the
    # same setup.py; tests/core/test_engines.py checks that the pure engine then runs).
    completed = subprocess.run(
        [
            sys.executable,
            "setup.py",
            "-q",
            "build_ext",
            "--build-lib",
            str(tmp_path / "lib"),
            "--build-temp",
            str(tmp_path / "temp"),
        ],
        cwd=ROOT,
        env={**os.environ, "CC": "/bin/false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "marketsim: not building the compiled engine" in completed.stdout
    assert not list((tmp_path / "lib").rglob("*.so"))  # no engine, replay loop or router
