"""The `ptcourse` command line: demo output, JSON contract, errors, dispatch, `python -m`."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from ptcourse import cli, toy


def test_cli_help_reads_demos_defaults_and_caps_from_the_toy(capsys):
    """`ptcourse demo --help` lists toy.DEMOS and each demo's default and maximum steps."""
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in toy.DEMOS:
        assert f"{name} {toy.demo_defaults(name)['steps']}/{toy.MAX_STEPS[name]}" in text
    assert f"default {toy.demo_defaults('bandit')['beta']}" in text
    assert f"default {toy.DEFAULT_BETA}" in text


def test_cli_json_last_line(capsys):
    """With --json the last stdout line is one JSON object with the required keys."""
    assert cli.main(["demo", "rl", "--beta", "0.5", "--steps", "6", "--seed", "2", "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    out = json.loads(last)
    assert out["demo"] == "rl" and out["seed"] == 2
    assert out["params"]["beta"] == 0.5 and out["params"]["steps"] == 6
    assert tuple(out["final"]) == toy.demos.FINAL_METRICS
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
        (["demo", "rl", "--beta", "-1"], "--beta must be >= 0 and <= 10000, got -1.0"),
        (["demo", "rl", "--beta", "1e308"], "--beta must be >= 0 and <= 10000, got 1e+308"),
        (["demo", "grpo", "--beta", "nan"], "--beta must be a number, got nan"),
        (["demo", "bandit", "--beta", "0"], "--beta must be > 0"),
        (["demo", "rl", "--beta", "lots"], "--beta must be a number"),
        (["demo", "rl", "--entropy-coef", "-1"], "--entropy-coef must be a finite number >= 0"),
        (["demo", "rl", "--steps", "0"], "--steps must be a positive int, got 0"),
        (["demo", "rl", "--steps", "1000000"], "--steps is at most 1000 for the rl demo"),
        (["demo", "bandit", "--steps", "4001"], "--steps is at most 4000 for the bandit demo"),
        (["demo", "rl", "--steps", "2.5"], "--steps must be an integer"),
        (["demo", "rl", "--seed", "-3"], "--seed must be an int >= 0"),
        (["demo", "sft", "--beta", "0.1"], "--beta applies to rl/grpo/bandit only"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_cli_bad_arguments(argv, message, capsys):
    """Bad arguments exit with status 2 and a message that names the problem."""
    with pytest.raises(SystemExit) as exc:
        code = cli.main(argv)
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    for internal in ("run_demo", "rl:", "bandit:", "'beta'", "'steps'", "advantages", "MAX_"):
        assert internal not in err, err  # only the names the user typed


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
