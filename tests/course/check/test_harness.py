"""How a checker behaves around the learner's code: for every checker, and in a notebook.

Every checker rejects a result that is not a real tensor, that carries no gradient, that is NaN, or
that comes from a function which changed its inputs; it stops a function that never returns; it shows
the learner's own line when their code raises; a wrong answer renders as a short block in IPython; a
right but very slow answer passes with a hint.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
import torch
from learner_answers import ok_entropy

import ptcourse
from ptcourse import check
from ptcourse.course.check import _guard

NAMES = sorted(check.CHECKERS)


def _wrap(name, change):
    """The reference, with its result passed through ``change``."""
    ref = getattr(ptcourse, name)

    def fn(*args, **kwargs):
        return change(ref(*args, **kwargs))

    return fn


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "change, pattern",
    [
        (lambda out: out.tolist(), r"returned a (list|float), not a torch tensor"),
        (lambda out: out.detach().numpy(), r"returned a ndarray, not a torch tensor"),
        (lambda out: out.to(torch.complex64), r"returned a torch.complex64 tensor"),
        (lambda out: torch.empty_like(out, device="meta"), r"tensor on meta"),
        (lambda out: out * float("nan"), r"is NaN|are NaN"),
    ],
    ids=["tolist", "numpy", "complex", "meta", "nan"],
)
def test_every_checker_rejects_what_is_not_a_real_tensor(name, change, pattern):
    """A Python number or list, a NumPy array, a complex, meta or NaN tensor is rejected by name."""
    with pytest.raises(check.CheckFailed, match=pattern):
        check.CHECKERS[name](_wrap(name, change))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "grpo_advantages"])
def test_every_differentiable_checker_rejects_a_detached_result(name):
    """A loss that cannot train (.detach() on the result) is rejected: it carries no gradient."""
    with pytest.raises(check.CheckFailed, match=r"carries no gradient"):
        check.CHECKERS[name](_wrap(name, lambda out: out.detach()))


@pytest.mark.parametrize("name", NAMES)
def test_every_checker_names_an_argument_changed_in_place(name):
    """A function that changes its first argument in place is rejected, and the argument named."""
    ref = getattr(ptcourse, name)
    first = next(iter(__import__("inspect").signature(ref).parameters))

    def fn(*args, **kwargs):
        out = ref(*args, **kwargs)
        with torch.no_grad():
            args[0].mul_(0.5)  # changes the caller's tensor
        return out

    with pytest.raises(check.CheckFailed, match=rf"changed its argument `{first}` in place"):
        check.CHECKERS[name](fn)


def _endless(logits):
    while True:
        pass


def _endless_noting(seen: list):
    """An endless loop that notes what stopped it (then lets it through)."""

    def entropy(logits):
        try:
            while True:
                pass
        except BaseException as err:
            seen.append(type(err))
            raise

    return entropy


def test_an_endless_loop_is_stopped_with_a_message():
    """A function that never returns is stopped by the checker's deadline and reported as such."""
    seen: list = []
    with pytest.raises(check.CheckFailed, match=r"did not return within 5 seconds"):
        check.entropy(_endless_noting(seen))
    assert seen == [_guard.TimedOut]  # the deadline fired inside the learner's loop


def test_an_endless_loop_is_stopped_in_an_ipython_cell():
    """In IPython (as in Jupyter and Colab) the endless loop is stopped and reported in short."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.run_cell("from ptcourse import check")
    shell.run_cell("def entropy(logits):\n    while True:\n        pass")
    with capture_output() as cap:
        result = shell.run_cell("check.entropy(entropy)")
    assert isinstance(result.error_in_exec, check.CheckFailed)
    text = cap.stdout + cap.stderr
    assert "did not return within 5 seconds" in text and "Traceback" not in text, text


def test_an_endless_loop_is_stopped_outside_the_main_thread_too():
    """Where no SIGALRM can be used (another thread), a watchdog stops the loop just the same."""
    caught, seen = [], []

    def worker():
        try:
            check.entropy(_endless_noting(seen))
        except check.CheckFailed as err:
            caught.append(str(err))

    t = threading.Thread(target=worker)
    t.start()
    t.join(120)  # only a bound on a hung test; the deadline is what ends the loop
    assert not t.is_alive() and caught and "did not return" in caught[0], caught
    assert seen == [_guard.TimedOut]  # the watchdog's deadline, delivered to the other thread


def test_an_endless_loop_is_stopped_in_a_plain_script(tmp_path):
    """In a plain `python script.py` the checker stops the loop and the script fails, quickly."""
    script = tmp_path / "learner.py"
    script.write_text(
        textwrap.dedent(
            """
            from ptcourse import check
            def entropy(logits):
                try:
                    while True:
                        pass
                except BaseException as err:
                    print("stopped by", type(err).__name__)
                    raise
            check.entropy(entropy)
            """
        )
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "did not return within" in run.stderr, run.stderr
    assert run.stdout.strip() == "stopped by TimedOut"  # the deadline fired in the script's loop


def test_an_error_in_the_learners_code_shows_their_line():
    """A crash that is not NotImplementedError is the learner's error, with their own line shown."""

    def entropy(logits):
        p = logits.softmax(-1)
        return p[:, 99]  # IndexError: the learner's bug

    with pytest.raises(check.CheckFailed) as info:
        check.entropy(entropy)
    err = info.value
    assert "raised IndexError" in str(err) and "not done" not in str(err)
    assert err.code.endswith("of entropy: return p[:, 99]  # IndexError: the learner's bug"), (
        err.code
    )


def test_a_wrong_answer_renders_as_a_short_block_in_ipython():
    """In IPython a wrong answer shows at most ten lines and no traceback through ptcourse."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.run_cell("from ptcourse import check\nimport torch")
    shell.run_cell(
        "def entropy(logits):\n    return -torch.special.entr(logits.softmax(-1)).sum(-1)"
    )
    with capture_output() as cap:
        shell.run_cell("check.entropy(entropy)")
    text = cap.stdout + cap.stderr
    lines = [x for x in text.splitlines() if x.strip()]
    assert lines[0].startswith("\u2717 check.entropy: your entropy is wrong"), text
    assert any("forgot the minus sign" in x for x in lines), text
    assert 3 <= len(lines) <= 10 and "Traceback" not in text and "harness.py" not in text, text


def test_a_plain_python_run_gets_a_normal_assertion_error():
    """Outside IPython the failure is an AssertionError (CheckFailed) with the whole message."""
    with pytest.raises(AssertionError, match=r"^your entropy is wrong .*forgot the minus sign"):
        check.entropy(lambda logits: -ok_entropy(logits))


def test_the_result_says_which_checks_ran_and_shows_nothing_more_in_a_notebook():
    """A passing result lists its checks; its notebook display is empty (the line is printed)."""
    result = check.entropy(ok_entropy)
    assert result.passed and "0 <= H <= log V" in result.checks
    assert any(c.startswith("gradient:") for c in result.checks)
    assert result._ipython_display_() is None
    assert str(result).startswith("\u2713 entropy: correct")


def _entropy_loop(logits):
    """Right, but a Python loop over every row and every token."""
    logp = torch.log_softmax(logits, -1)
    rows = []
    for row in logp.reshape(-1, logp.shape[-1]):
        h = torch.zeros(())
        for v in range(row.shape[0]):
            if row[v] > -float("inf"):
                h = h - row[v].exp() * row[v]
        rows.append(h)
    return torch.stack(rows).reshape(logits.shape[:-1])


def test_a_right_but_slow_answer_passes_with_a_hint(capsys, monkeypatch):
    """A right answer much slower than the reference (> 50x) passes, with a hint. The probe's clock
    is the test's: a call of the learner's function takes a second on it, the reference's a
    millisecond, so the hint does not depend on the machine's load."""
    from types import SimpleNamespace

    from ptcourse.course.check import _probes

    clock = [0.0]

    def perf_counter():  # every reading moves the clock a millisecond: the reference's run
        clock[0] += 0.001
        return clock[0]

    monkeypatch.setattr(_probes, "time", SimpleNamespace(perf_counter=perf_counter))

    def entropy(logits):
        clock[0] += 1.0
        return ok_entropy(logits)

    result = check.entropy(entropy)
    assert result.passed and result.hints, result
    out = capsys.readouterr().out
    assert "hint: your entropy is right but took" in out and "Python loop" in out


def test_a_python_loop_is_right(capsys):
    """The Python-loop entropy passes the value checks (its speed hint depends on the machine)."""
    assert check.entropy(_entropy_loop).passed


def test_the_marks_are_characters_every_font_has(capsys):
    """The outcome lines use U+2713, U+2717 and U+2026, not emoji that some fonts lack."""
    check.entropy(ok_entropy)
    check.entropy(lambda logits: (_ for _ in ()).throw(NotImplementedError))
    out = capsys.readouterr().out
    assert all(ord(ch) < 0x2100 or ch in "\u2713\u2717" for ch in out), out
