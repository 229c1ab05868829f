"""The sample sessions in data/sessions/: documented, small, and remade identically."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from marketsim import cli
from marketsim.data import load_session

REPO_ROOT = Path(__file__).resolve().parents[2]
SESSIONS = REPO_ROOT / "data" / "sessions"
README = (SESSIONS / "README.md").read_text()
FILES = sorted(SESSIONS.glob("*.parquet"))


def test_there_are_sample_sessions_and_each_is_small_and_documented():
    assert {path.name for path in FILES} >= {"zi.parquet", "zi-mm.parquet"}
    for path in FILES:
        assert path.stat().st_size < 1_000_000, path.name
        assert f"`{path.name}`" in README, path.name


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_sample_session_is_remade_identically_by_the_command_in_the_readme(
    path, tmp_path, monkeypatch, capsys
):
    session = load_session(path)
    command = session.info["command"]
    relative = path.relative_to(REPO_ROOT)
    assert f"marketsim {shlex.join(command)} --out {relative}" in README

    monkeypatch.chdir(REPO_ROOT)  # the commands name files relative to the repository
    assert cli.main([*command, "--out", str(tmp_path / path.name), "--quiet"]) == 0
    capsys.readouterr()

    remade = load_session(tmp_path / path.name)
    assert remade.info == session.info
    assert remade.instrument == session.instrument
    assert list(remade.events) == list(session.events), (
        f"{path.name} is not remade identically (a new numpy random stream?); "
        "make the sample sessions again with the commands in data/sessions/README.md"
    )
