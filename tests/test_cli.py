"""The `ptcourse` command line: demo output, JSON contract, errors, dispatch, `python -m`."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from ptcourse import cli, toy


def test_cli_demo_names_match_the_toy_demos():
    """The CLI offers exactly the demos that ptcourse.toy.DEMOS defines."""
    assert set(cli._DEMOS) == set(toy.DEMOS)


def test_cli_json_last_line(capsys):
    """With --json the last stdout line is one JSON object with the required keys."""
    assert cli.main(["demo", "rl", "--beta", "0.5", "--steps", "6", "--seed", "2", "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    out = json.loads(last)
    assert out["demo"] == "rl" and out["seed"] == 2
    assert out["params"]["beta"] == 0.5 and out["params"]["steps"] == 6
    assert set(out["final"]) >= {"reward", "kl", "entropy", "distinct_2", "demo_loglik"}
    assert len(out["history"]["reward"]) == 6
    assert out == json.loads(toy.to_json(toy.run_demo("rl", beta=0.5, steps=6, seed=2)))


def test_cli_human_summary(capsys):
    """Without --json the CLI prints a table of start/final metrics and sample answers."""
    assert cli.main(["demo", "rl", "--steps", "4"]) == 0
    out = capsys.readouterr().out
    assert "ptcourse demo rl" in out and "entropy" in out and "samples:" in out
    assert "{" not in out.splitlines()[-1]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["demo", "dance"], "invalid choice: 'dance'"),
        (["demo", "rl", "--beta", "-1"], "--beta must be a finite number >= 0"),
        (["demo", "rl", "--beta", "lots"], "--beta must be a number"),
        (["demo", "rl", "--steps", "0"], "--steps must be >= 1"),
        (["demo", "rl", "--steps", "2.5"], "--steps must be an integer"),
        (["demo", "sft", "--beta", "0.1"], "'beta' applies to rl/grpo/bandit only"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_cli_bad_arguments(argv, message, capsys):
    """Bad arguments exit with status 2 and a message that names the problem."""
    with pytest.raises(SystemExit) as exc:
        code = cli.main(argv)
        raise SystemExit(code)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command,module", [("doctor", "doctor"), ("notebooks", "student")])
def test_cli_dispatches_subcommands(command, module, monkeypatch):
    """`ptcourse doctor|notebooks ARGS` call ptcourse.course.doctor|student.main(ARGS)."""
    seen = []
    fake = types.ModuleType(f"ptcourse.course.{module}")
    fake.main = lambda argv: seen.append(argv) or 0
    monkeypatch.setitem(sys.modules, f"ptcourse.course.{module}", fake)
    import ptcourse.course

    monkeypatch.setattr(ptcourse.course, module, fake, raising=False)
    assert cli.main([command, "--x", "y"]) == 0
    assert seen == [["--x", "y"]]


def test_python_dash_m_runs_the_cli():
    """`python -m ptcourse demo bandit --json` works in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-m", "ptcourse", "demo", "bandit", "--steps", "20", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["demo"] == "bandit"
