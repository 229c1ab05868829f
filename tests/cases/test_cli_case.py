"""``marketsim case list|check|simulate`` as a user runs it."""

import subprocess
import sys

from marketsim.cli import main


def test_case_list_names_the_built_in_cases(capsys):
    assert main(["case", "list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == [
        "spread",
        "news",
        "rebates",
        "tender",
        "auction",
    ]


def test_case_check_prints_the_plan(capsys):
    assert main(["case", "check", "tender"]) == 0
    out = capsys.readouterr().out
    assert "tender to all: buy 500 ACME at 99.50, 20 s to decide" in out
    assert out.rstrip().endswith("ok")


def test_case_check_of_a_bad_file_says_what_is_wrong(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[[instruments]]\nsymbol = "ACME"\n[heats]\ncount = "three"\n')
    assert main(["case", "check", str(path)]) != 0
    assert "heats.count" in capsys.readouterr().err


def test_case_simulate_prints_scores_in_a_real_process():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "marketsim",
            "case",
            "simulate",
            "news",
            "--bots",
            "5",
            "--heats",
            "2",
            "--speed",
            "max",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "pnl",
        "1",
        "pnl",
        "2",
        "rank",
        "1",
        "rank",
        "2",
        "final_score",
        "final_rank",
    ]
    assert sum(line.startswith("student") for line in lines) == 5
    assert "news: 2 heats, 5 bot students" in lines[-1]
