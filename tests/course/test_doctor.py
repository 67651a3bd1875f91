"""`ptcourse doctor` reports versions, device, widgets and the checkers' self-test, and fails loudly."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import ptcourse
from ptcourse import check, doctor


def _reference_leaks_old_logp() -> bool:
    """True while ptcourse.ppo_clip_loss sends gradient into old_logp (the core's fix is pending)."""
    logp, old = torch.zeros(1, 2, requires_grad=True), torch.zeros(1, 2, requires_grad=True)
    ptcourse.ppo_clip_loss(logp, old, torch.ones(1, 2), torch.ones(1, 2)).backward()
    return old.grad is not None and bool(old.grad.any())


leak = pytest.mark.xfail(
    _reference_leaks_old_logp(),
    reason="ptcourse.ppo_clip_loss still sends gradient into old_logp",
    strict=True,
)


@leak
def test_healthy_machine_reports_everything_and_exits_zero(capsys):
    """On the dev machine: versions, device, widgets, checks and an OK line; exit code 0."""
    assert doctor.main([]) == 0
    out = capsys.readouterr().out
    assert f"torch        {torch.__version__}" in out
    assert f"ptcourse     {ptcourse.__version__}" in out
    assert "device       cpu" in out or "device       cuda" in out or "device       mps" in out
    assert "ipywidgets" in out and "not in this terminal" in out
    assert f"{len(check.CHECKERS)}/{len(check.CHECKERS)} checkers pass" in out
    assert out.rstrip().splitlines()[-1].startswith("OK")


@leak
def test_self_test_passes_every_checker_on_the_reference():
    """Every checker accepts ptcourse's own function, and says which checks it ran."""
    results = doctor.self_test()
    assert set(results) == set(check.CHECKERS)
    assert all(r.passed and r.checks for r in results.values()), results


def test_self_test_collects_a_rejection_as_a_failed_result():
    """A checker that rejects the function gives a failed result carrying the diagnosis."""

    ref = ptcourse.entropy  # bound here: a call of ptcourse.entropy inside the answer is a trap

    def wrong(fn):
        return check.entropy(lambda logits: -ref(logits))

    results = doctor.self_test({"entropy": wrong})
    assert results["entropy"].status == "failed"
    assert "forgot the minus sign" in results["entropy"].message


def test_a_failing_checker_is_a_problem(monkeypatch, capsys):
    """A checker that rejects the reference makes doctor name it and exit 1."""

    def broken(fn):
        raise AssertionError("your entropy is wrong")

    monkeypatch.setitem(check.CHECKERS, "entropy", broken)
    assert doctor.main([]) == 1
    out = capsys.readouterr().out
    assert "entropy: AssertionError: your entropy is wrong" in out
    assert out.rstrip().splitlines()[-1].startswith("PROBLEM: checker entropy")


def test_missing_ipywidgets_is_a_problem(monkeypatch, capsys):
    """Without ipywidgets (the dials), doctor says so and exits 1."""
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    assert doctor.main([]) == 1
    assert "ipywidgets missing" in capsys.readouterr().out


def test_in_kernel_is_false_in_a_plain_process():
    """A plain Python process is not a kernel, so widgets cannot render there."""
    code = "from ptcourse import doctor; import sys; sys.exit(0 if not doctor.in_kernel() else 1)"
    subprocess.run([sys.executable, "-c", code], check=True)
