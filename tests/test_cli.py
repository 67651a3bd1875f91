"""The `ptcourse` command line: demo output, JSON contract, errors, dispatch, `python -m`."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from ptcourse import cli, toy
from ptcourse.toy import demo_report as report


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
        (["demo", "rl", "--entropy-coef", "-1"], "--entropy-coef must be >= 0 and <= 10000"),
        # issue 30: finite in float64 but not in the float32 model; a traceback from multinomial
        (["demo", "rl", "--entropy-coef", "1e39"], "--entropy-coef must be >= 0 and <= 10000"),
        (["demo", "grpo", "--entropy-coef", "nan"], "--entropy-coef must be >= 0 and <= 10000"),
        (["demo", "rl", "--steps", "0"], "--steps must be a positive int, got 0"),
        (["demo", "rl", "--steps", "1000000"], "--steps is at most 1000 for the rl demo"),
        (["demo", "bandit", "--steps", "4001"], "--steps is at most 4000 for the bandit demo"),
        (["demo", "rl", "--steps", "2.5"], "--steps must be an integer"),
        (["demo", "rl", "--seed", "-3"], "--seed must be an int from 0 to 2**63 - 1"),
        # issue 30: torch's "Overflow when unpacking long long" named no option
        (["demo", "rl", "--seed", str(2**64)], "--seed must be an int from 0 to 2**63 - 1"),
        (["demo", "bandit", "--seed", str(2**63)], "--seed must be an int from 0 to 2**63 - 1"),
        (["demo", "--warm", "--seed", str(2**64)], "--seed must be an int from 0 to 2**63 - 1"),
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


def test_cli_dispatches_doctor(monkeypatch):
    """`ptcourse doctor ARGS` calls ptcourse.course.doctor.main(ARGS)."""
    seen = []
    fake = types.ModuleType("ptcourse.course.doctor")
    fake.main = lambda argv: seen.append(argv) or 0
    monkeypatch.setitem(sys.modules, "ptcourse.course.doctor", fake)
    import ptcourse.course

    monkeypatch.setattr(ptcourse.course, "doctor", fake, raising=False)
    assert cli.main(["doctor", "--x", "y"]) == 0
    assert seen == [["--x", "y"]]


def test_notebooks_is_not_a_command(capsys):
    """The student notebooks come from the press (make student) and the bundles, not from the CLI."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["notebooks", "--student", "out"])
    assert exc.value.code == 2
    assert "notebooks" in capsys.readouterr().err


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


# --------------------------------------------------------------------------------------------------
# a demo a room can watch: progress on stderr, JSON alone on stdout, tables that fit a terminal
# --------------------------------------------------------------------------------------------------


def test_cli_progress_goes_to_stderr_and_json_alone_to_stdout(capsys):
    """While rl trains, stderr gets lines with step, reward, KL, entropy; stdout is the JSON only."""
    assert cli.main(["demo", "rl", "--steps", "4", "--json"]) == 0
    captured = capsys.readouterr()
    out_lines = captured.out.strip().splitlines()
    assert len(out_lines) == 1 and json.loads(out_lines[0])["demo"] == "rl"
    steps = [line for line in captured.err.splitlines() if line.startswith("rl ")]
    assert [line.split()[1] for line in steps] == ["1/4", "2/4", "3/4", "4/4"]
    for word in ("reward", "KL", "entropy", "hack rate"):
        assert all(word in line for line in steps), steps
    assert "KL in nats per answer" in captured.err


def test_cli_quiet_prints_no_progress(capsys):
    """--quiet: nothing on stderr."""
    assert cli.main(["demo", "bandit", "--steps", "20", "--json", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_progress_does_not_change_the_result():
    """The result with a progress callback is bitwise the result without one (it only reads)."""
    seen = []
    with_progress = toy.run_demo("rl", steps=3, seed=1, progress=seen.append)
    assert toy.to_json(with_progress) == toy.to_json(toy.run_demo("rl", steps=3, seed=1))
    rows = [e for e in seen if e["phase"] == "rl"]
    assert [e["step"] for e in rows] == [1, 2, 3]
    assert [e["reward"] for e in rows] == with_progress["history"]["reward"]


def test_progress_must_be_callable():
    """A progress that is not callable is refused, naming the argument."""
    with pytest.raises(ValueError, match="'progress' must be callable"):
        toy.run_demo("bandit", steps=2, progress=3)


def test_summary_fits_80_columns_and_labels_in_words(capsys):
    """Every line of the human table fits 80 columns; hack rate and distinct-2 are in words."""
    assert cli.main(["demo", "grpo", "--steps", "4", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= report.COLUMNS, out
    assert "hack rate" in out and "distinct-2 (distinct word pairs)" in out
    assert "hack_rate" not in out and "distinct_2" not in out


def _result(start, hist, final, beta=0.5):
    return {"demo": "rl", "seed": 0, "params": {"beta": beta, "steps": len(hist)},
            "start": {"kl": start}, "final": {"kl": final}, "history": {"kl": hist},
            "samples": []}  # fmt: skip


def test_trend_starts_at_the_start_column_and_ends_at_the_final_one():
    """The sparkline's first bar is the start value, its last the final value (not the history's)."""
    # the history never visits 0 or 10: only start and final can make the lowest and highest bar
    text = report.format_summary(_result(0.0, [5.0] * 30, 10.0))
    spark = next(line for line in text.splitlines() if line.strip().startswith("KL")).split()[-1]
    bars = report._bars()
    assert spark[0] == bars[0] and spark[-1] == bars[-1] and set(spark[1:-1]) == {bars[4]}


def test_compared_runs_share_a_scale(capsys):
    """With two runs, one metric's trends share a scale: the smaller run never reaches the top."""
    text = report.format_comparison(
        [_result(0.0, [1.0] * 8, 1.0), _result(0.0, [4.0] * 8, 4.0, 0.0)]
    )
    rows = [line.split() for line in text.splitlines() if line.startswith("    beta")]
    (a, b) = (r[-1] for r in rows)
    bars = report._bars()
    assert b[-1] == bars[-1] and a[-1] < b[-1]  # a separate scale would draw both at the top
    assert max(len(line) for line in text.splitlines()) <= report.COLUMNS


def test_cli_compare_beta_runs_two_betas(capsys):
    """--compare-beta prints both runs, labelled by beta, and --json a list of two results."""
    assert cli.main(["demo", "bandit", "--steps", "30", "--compare-beta", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "beta 0.3 vs beta 3.0" in out
    assert cli.main(["demo", "bandit", "--steps", "30", "--compare-beta", "3", "--json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert [r["params"]["beta"] for r in both] == [0.3, 3.0]


def test_cli_compare_beta_errors_name_the_option(capsys):
    """A bad --compare-beta is reported as --compare-beta; it does not apply to sft."""
    assert cli.main(["demo", "bandit", "--steps", "5", "--compare-beta", "0", "--quiet"]) == 2
    assert "--compare-beta must be > 0" in capsys.readouterr().err
    assert cli.main(["demo", "sft", "--compare-beta", "0"]) == 2
    assert "--compare-beta applies to rl/grpo/bandit" in capsys.readouterr().err


def test_cli_needs_a_name_or_warm(capsys):
    """`ptcourse demo` with neither NAME nor --warm exits 2 and says what is missing."""
    assert cli.main(["demo"]) == 2
    assert "give a demo NAME or --warm" in capsys.readouterr().err


def test_cli_warm_fills_the_cache_and_says_where(tmp_path, monkeypatch, capsys):
    """--warm writes the pretrain and SFT checkpoints into PTCOURSE_TOY_CACHE and says where."""
    import functools

    from ptcourse.toy import checkpoints

    # Tiny training runs: this checks the plumbing, the loops are tested elsewhere. The process's
    # checkpoint cache is cleared before and after, so no other test sees these models.
    monkeypatch.setattr(checkpoints, "pretrain", functools.partial(checkpoints.pretrain, steps=2))
    monkeypatch.setattr(checkpoints, "sft", functools.partial(checkpoints.sft, steps=2))
    monkeypatch.setenv("PTCOURSE_TOY_CACHE", str(tmp_path))
    checkpoints._trained.cache_clear()
    try:
        assert cli.main(["demo", "--warm"]) == 0  # seed 0 ships with the package: nothing to write
        assert (
            "warmed pretrain seed 0 (shipped), sft seed 0 (shipped) in" in capsys.readouterr().out
        )
        assert not list(tmp_path.glob("toy-*.pt"))
        assert cli.main(["demo", "--warm", "--seed", "1"]) == 0
    finally:
        checkpoints._trained.cache_clear()
    out = capsys.readouterr().out
    names = sorted(p.name.split("-")[1] for p in tmp_path.glob("toy-*-seed1-*.pt"))
    assert names == ["pretrain", "sft"]
    assert str(tmp_path) in out and "warmed pretrain seed 1, sft seed 1 in" in out


def test_default_cache_is_used_only_when_it_exists(tmp_path, monkeypatch):
    """Without PTCOURSE_TOY_CACHE, `ptcourse demo` uses ~/.cache/ptcourse/toy only once warmed."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("PTCOURSE_TOY_CACHE", raising=False)
    cli._use_default_cache()
    assert "PTCOURSE_TOY_CACHE" not in __import__("os").environ
    (tmp_path / "ptcourse" / "toy").mkdir(parents=True)
    cli._use_default_cache()
    assert __import__("os").environ["PTCOURSE_TOY_CACHE"] == str(tmp_path / "ptcourse" / "toy")


def test_cli_compare_beta_progress_names_each_run(capsys):
    """While two runs train, each progress line says which beta is training."""
    assert cli.main(["demo", "bandit", "--steps", "5", "--compare-beta", "3", "--json"]) == 0
    err = capsys.readouterr().err
    assert "bandit, beta 0.3 5/5" in err and "bandit, beta 3.0 5/5" in err
