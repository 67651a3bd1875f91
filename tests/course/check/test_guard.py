"""The checkers hold around awkward learner code and awkward sessions (issue 30's checker items).

* The deadline cannot be switched off by the learner's code (``signal.setitimer(ITIMER_REAL, 0)``,
  ``signal.alarm(0)``, catching the exception it raises).
* Run under ``torch.no_grad()`` / ``inference_mode()`` a checker says that gradients are disabled, and
  does not blame a right answer.
* First-time imports inside the learner's call (torch imports some lazily) do not count against the
  deadline.
* ``ptcourse.entropy = my_entropy`` (a parameter named differently) neither crashes a checker nor
  becomes the reference it compares with.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
import torch
from learner_answers import ok_entropy, ok_kl_divergence

import ptcourse
from ptcourse import check
from ptcourse.course.check import _guard, harness


def _run_script(tmp_path, body: str) -> subprocess.CompletedProcess:
    """Run a learner's script in a fresh process; a checker that hangs is killed after 60 s."""
    script = tmp_path / "learner.py"
    script.write_text(textwrap.dedent(body))
    try:
        return subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the checker never stopped the learner's function (killed after 60 s)")


@pytest.mark.parametrize(
    "cancel",
    ["signal.setitimer(signal.ITIMER_REAL, 0)", "signal.alarm(0)"],
)
def test_the_learners_code_cannot_switch_the_deadline_off(tmp_path, cancel):
    """A function that cancels the process's alarm timer, then loops, is still stopped in time."""
    run = _run_script(
        tmp_path,
        f"""
        import signal
        from ptcourse import check
        def entropy(logits):
            {cancel}
            while True:
                pass
        check.entropy(entropy)
        """,
    )
    assert run.returncode == 1 and "did not return within 5 seconds" in run.stderr, run.stderr


def test_catching_the_timeout_does_not_escape_it():
    """A loop that catches the first interruption (even as BaseException) and loops on is
    interrupted again, and fails. (Code that swallows every interruption forever cannot be stopped
    from inside Python; that is beyond a checker.)"""

    def entropy(logits):
        try:
            while True:
                pass
        except BaseException:
            pass
        while True:
            pass

    t0 = time.monotonic()
    with pytest.raises(check.CheckFailed, match="did not return within"):
        check.entropy(entropy)
    assert time.monotonic() - t0 < _guard.TIMEOUT_S + 5


def test_a_timer_set_before_the_check_keeps_running():
    """Someone else's SIGALRM timer (pytest-timeout, a notebook's own) still fires, to its handler."""
    import signal

    fired = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        assert check.entropy(ok_entropy).passed
        time.sleep(0.2)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert fired == [True]


@pytest.mark.parametrize(
    "mode", ["no_grad", "inference_mode", "set_grad_enabled(False)"], ids=lambda m: m
)
def test_disabled_gradients_are_named_not_blamed_on_the_answer(mode, capsys):
    """A right answer checked with gradients off is told that gradients are disabled."""
    ctx = {  # set_grad_enabled(False) acts when it is called, so each is made only when used
        "no_grad": torch.no_grad,
        "inference_mode": torch.inference_mode,
        "set_grad_enabled(False)": lambda: torch.set_grad_enabled(False),
    }[mode]
    with ctx(), pytest.raises(check.CheckFailed) as info:
        check.kl_divergence(ok_kl_divergence)
    message = str(info.value)
    assert message.startswith("gradients are disabled"), message
    assert "not judged" in message and "wrong" not in message, message
    assert torch.is_grad_enabled()
    assert check.kl_divergence(ok_kl_divergence).passed  # outside the block it passes


def test_first_time_imports_do_not_count_against_the_deadline(tmp_path, monkeypatch, capsys):
    """A right answer whose first call imports something slow (as torch's lazy imports can be on a
    loaded machine) is not stopped: the deadline is pushed back while modules keep arriving."""
    (tmp_path / "slow_lazy_module.py").write_text("import time\ntime.sleep(1.6)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_guard, "TIMEOUT_S", 1.0)
    monkeypatch.setattr(harness, "TIMEOUT_S", 1.0)  # the copy the harness once read the time from

    def entropy(logits):
        import slow_lazy_module  # noqa: F401  (first call only: then it is in sys.modules)

        return ok_entropy(logits)

    try:
        assert check.entropy(entropy).passed
    finally:
        sys.modules.pop("slow_lazy_module", None)

    def endless(logits):
        while True:
            pass

    t0 = time.monotonic()  # without imports the (shortened) deadline still stops a loop in time
    with pytest.raises(check.CheckFailed, match=r"did not return within 1 seconds"):
        check.entropy(endless)
    assert time.monotonic() - t0 < 4


def test_a_reference_replaced_by_the_learners_function_is_not_used(monkeypatch, capsys):
    """`ptcourse.entropy = entropy` (with a parameter named `x`) neither crashes the checker
    ("'logits' is not in list") nor makes it compare the answer with itself."""

    def entropy(x):
        return ok_entropy(x)

    monkeypatch.setattr(ptcourse, "entropy", entropy)
    assert check.entropy(entropy).passed

    def wrong(x):
        return -ok_entropy(x)

    monkeypatch.setattr(ptcourse, "entropy", wrong)
    with pytest.raises(check.CheckFailed, match="forgot the minus sign"):
        check.entropy(wrong)
