"""The exercise checkers accept right answers and reject plausible wrong ones with the right diagnosis.

For every checker: ptcourse's reference and learner-style solutions written in several equivalent ways
pass; each named wrong implementation in ``learner_answers.WRONG`` raises CheckFailed whose message
contains its diagnosis; a stub that raises NotImplementedError prints "not done yet" without raising.
"""

from __future__ import annotations

import re

import pytest
import torch
from learner_answers import RIGHT, WRONG

import ptcourse
from ptcourse import check

WRONG_CASES = [
    pytest.param(name, fn, pattern, id=f"{name}-{label}")
    for name, cases in WRONG.items()
    for label, fn, pattern in cases
]


def reference_leaks_old_logp() -> bool:
    """True while ptcourse.ppo_clip_loss sends gradient into old_logp (fixed by the core's issue 13)."""
    logp, old = torch.zeros(1, 2, requires_grad=True), torch.zeros(1, 2, requires_grad=True)
    ptcourse.ppo_clip_loss(logp, old, torch.ones(1, 2), torch.ones(1, 2)).backward()
    return old.grad is not None and bool(old.grad.any())


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise: write this function, then run the check below.")


def test_every_exercise_has_a_checker_named_after_its_ptcourse_function():
    """CHECKERS covers the eleven exercises, and each name is a public ptcourse function."""
    assert set(check.CHECKERS) == set(RIGHT) == set(WRONG)
    for name, checker in check.CHECKERS.items():
        assert getattr(check, name) is checker
        assert callable(getattr(ptcourse, name)), name


@pytest.mark.parametrize("name", sorted(check.CHECKERS))
def test_reference_passes_with_a_success_line(name, capsys):
    """ptcourse's own function passes its checker, which prints one line and returns a result."""
    if name == "ppo_clip_loss" and reference_leaks_old_logp():
        pytest.xfail("ptcourse.ppo_clip_loss still sends gradient into old_logp (core fix pending)")
    result = check.CHECKERS[name](getattr(ptcourse, name))
    assert result.passed and result.name == name and len(result.checks) >= 5, result
    out = capsys.readouterr().out
    assert out.startswith(f"\u2713 {name}: correct -- all {len(result.checks)} checks"), out
    assert out.count("\n") == 1, out  # no slowness hint for the reference itself


@pytest.mark.parametrize(
    "name, fn",
    [pytest.param(n, f, id=f"{n}-{f.__name__}") for n, fs in RIGHT.items() for f in fs],
)
def test_learner_style_solution_passes(name, fn, capsys):
    """A right answer written the way a learner would (log_softmax, F.cross_entropy, ...) passes."""
    assert check.CHECKERS[name](fn).passed
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("name, fn, pattern", WRONG_CASES)
def test_wrong_implementation_is_rejected_with_its_diagnosis(name, fn, pattern):
    """A plausible wrong answer raises CheckFailed whose message names the mistake."""
    with pytest.raises(check.CheckFailed) as info:
        check.CHECKERS[name](fn)
    message = str(info.value)
    assert re.search(pattern, message, flags=re.S), f"message does not match {pattern!r}: {message}"
    assert message.startswith("your "), message
    plural = r"\b(log-probabilities|advantages|estimates) (is|does)\b"
    assert not re.search(plural, message), message
    assert info.value.result.status == "failed" and info.value.result.name == name
    block = info.value._render_traceback_()  # what IPython shows
    assert len(block) <= 10 and all(len(x) <= 100 for x in block), block


@pytest.mark.parametrize("name", sorted(check.CHECKERS))
def test_stub_prints_not_done_yet_and_does_not_raise(name, capsys):
    """The student stub makes the checker print 'not done yet', naming the function to write."""
    result = check.CHECKERS[name](_stub)
    assert result.status == "not done" and not result.passed
    out = capsys.readouterr().out
    assert f"{name}: {check.NOT_DONE}" in out and f"`{name}` you define in this exercise" in out
    assert "above" not in out, out


@pytest.mark.parametrize("name", ["entropy", "kl_divergence"])
def test_stub_raises_when_the_run_requires_every_exercise_done(name, capsys, monkeypatch):
    """With PTCOURSE_CHECK_REQUIRE_DONE=1 (CI's instructor-notebook run) a stub is an error, so a
    solution that rendering dropped cannot pass as "not done yet"; without it, it only prints."""
    monkeypatch.setenv("PTCOURSE_CHECK_REQUIRE_DONE", "1")
    with pytest.raises(check.CheckFailed, match="not done yet, but this run needs every exercise"):
        check.CHECKERS[name](_stub)
    monkeypatch.setenv("PTCOURSE_CHECK_REQUIRE_DONE", "0")
    assert check.CHECKERS[name](_stub).status == "not done"


@pytest.mark.parametrize("name", ["entropy", "kl_divergence"])
def test_finished_answer_raises_when_the_run_expects_stubs(name, capsys, monkeypatch):
    """With PTCOURSE_CHECK_STUBS_ONLY=1 (CI's student-notebook run) a passing answer is an error,
    so a solution that leaked into a student notebook fails the run; a stub still only prints."""
    monkeypatch.setenv("PTCOURSE_CHECK_STUBS_ONLY", "1")
    assert check.CHECKERS[name](_stub).status == "not done"
    with pytest.raises(check.CheckFailed, match="holds a finished answer"):
        check.CHECKERS[name](getattr(ptcourse, name))
    monkeypatch.setenv("PTCOURSE_CHECK_STUBS_ONLY", "0")
    assert check.CHECKERS[name](getattr(ptcourse, name)).passed


def test_checker_rejects_a_non_function():
    """Passing the result instead of the function gets a clear TypeError."""
    with pytest.raises(TypeError, match=r"check\.entropy\(entropy\)"):
        check.entropy(torch.zeros(3))
