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


def _class_file(tmp_path):
    from marketsim.server.participants import Roster

    roster, _tokens = Roster.create({"prof": "admin", "ann": "trader", "bob": "trader"})
    path = tmp_path / "class.toml"
    roster.save(path)
    return path


SHORT_CASE = """
name = "short"
[[instruments]]
symbol = "ACME"
[heats]
count = 2
length = 2
[[bots]]
agent = "ZeroIntelligence"
name = "flow"
"""


def test_case_run_auto_serves_every_heat_and_prints_the_scores(tmp_path):
    case = tmp_path / "short.toml"
    case.write_text(SHORT_CASE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "marketsim",
            "case",
            "run",
            str(case),
            "--participants",
            str(_class_file(tmp_path)),
            "--port",
            "0",
            "--speed",
            "10",
            "--auto",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = done.stdout
    assert "marketsim case short" in out and "students: ann, bob" in out
    assert "heat 1 started" in out and "heat 2 started" in out
    assert out.count("final_rank") == 2 and out.rstrip().endswith("marketsim stopped")


def test_case_run_takes_the_moderators_commands(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "marketsim",
            "case",
            "run",
            "spread",
            "--participants",
            str(_class_file(tmp_path)),
            "--port",
            "0",
        ],
        input="start\npause\nstatus\nresume\nwhatever\nend\nquit\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert "start: ok" in lines and "pause: ok" in lines and "end: ok" in lines
    assert any(line.startswith("heat 1/3 paused") for line in lines)
    assert any(line.startswith("whatever: unknown command") for line in lines)
