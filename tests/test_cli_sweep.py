"""``marketsim sweep STUDY.toml``: the same study as the Python call, and Ctrl-C then resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from marketsim import sim
from marketsim.cli import main

STUDY_TOML = """
duration = {duration}
seeds = {seeds}

[agents]
zi = "ZeroIntelligence"
mm = "marketsim.sim:MarketMaker"

[grid]
"mm.half_spread_ticks" = [1, 2]
"zi.market_rate" = [1.0, 2.5]

[fixed]
"zi.limit_rate" = 1.0
"""


def _python_call(out: Path, duration: float, seeds: int, **options) -> sim.Study:
    return sim.sweep(
        agents={"zi": sim.ZeroIntelligence, "mm": sim.MarketMaker},
        grid={"mm.half_spread_ticks": [1, 2], "zi.market_rate": [1.0, 2.5]},
        fixed={"zi.limit_rate": 1.0},
        seeds=range(seeds),
        duration=duration,
        out=str(out),
        progress=False,
        **options,
    )


def test_toml_study_gives_the_summary_of_the_python_call_and_prints_it(tmp_path, capsys):
    study_file = tmp_path / "study.toml"
    study_file.write_text(STUDY_TOML.format(duration=5, seeds=2))

    status = main(["sweep", str(study_file), "--scheduler", "serial", "--quiet"])

    printed = capsys.readouterr().out
    from_cli = pd.read_parquet(tmp_path / "study" / "summary.parquet")
    assert status == 0
    assert from_cli.equals(_python_call(tmp_path / "python", 5, 2, scheduler="serial").summary)
    assert "spread_mean" in printed and "mm.pnl" in printed
    assert "8 runs (8 run now, 0 found done, 0 not ok)" in printed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("duration = 5\n[agents]\nzi = 'NoSuchAgent'\n", "unknown agent"),
        ("duration = 5\ncolour = 'red'\n[agents]\nzi = 'ZeroIntelligence'\n", "unknown keys"),
        ("[agents]\nzi = 'ZeroIntelligence'\n", "needs duration"),
        ("duration = [\n", "not valid TOML"),
    ],
)
def test_a_bad_study_file_is_a_one_line_error(tmp_path, capsys, text, message):
    study_file = tmp_path / "bad.toml"
    study_file.write_text(text)

    assert main(["sweep", str(study_file), "--scheduler", "serial"]) == 1
    assert message in capsys.readouterr().err


def test_ctrl_c_mid_sweep_then_resume_redoes_no_finished_run_and_ends_like_one_sweep(tmp_path):
    """Ctrl-C a real ``marketsim sweep`` on its default engine (a Dask LocalCluster of one
    worker) once some runs are done; running it again finishes the rest only."""
    study_file = tmp_path / "study.toml"
    study_file.write_text(STUDY_TOML.format(duration=60, seeds=10))
    command = [sys.executable, "-m", "marketsim", "sweep", str(study_file), "--workers", "1"]
    runs = tmp_path / "study" / "runs"
    log = tmp_path / "interrupted.log"
    with log.open("w") as output:
        sweep = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while len(list(runs.glob("*.json"))) < 3:
            assert sweep.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        sweep.send_signal(signal.SIGINT)
        assert sweep.wait(60) == 130, log.read_text()
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait()
    finished = {path.name: path.stat().st_mtime_ns for path in runs.glob("*.json")}
    assert 3 <= len(finished) < 40
    assert not (tmp_path / "study" / "summary.parquet").exists()

    resumed = subprocess.run(
        [*command, "--quiet"], capture_output=True, text=True, timeout=300, check=True
    )

    assert f"({40 - len(finished)} run now, {len(finished)} found done" in resumed.stdout
    assert {name: (runs / name).stat().st_mtime_ns for name in finished} == finished
    uninterrupted = _python_call(tmp_path / "once", 60, 10, scheduler="serial")
    assert pd.read_parquet(tmp_path / "study" / "summary.parquet").equals(uninterrupted.summary)

    def outputs(folder: Path) -> list[str]:
        return sorted(name for name in os.listdir(folder) if ".tmp-" not in name)

    assert outputs(runs) == outputs(tmp_path / "once" / "runs")
