"""A checker cannot be talked into passing (issue 25, "Tampering").

Each answer here passed every checker before the harness defended against it: calling the package's
own function, rebinding ``torch.isclose`` or the harness's ``close``, replacing ``ptcourse.<name>``
before the check, and a tensor subclass whose comparisons lie.
"""

from __future__ import annotations

import pytest
import torch
from learner_answers import ok_entropy

import ptcourse
from ptcourse import check
from ptcourse.course.check import _common, harness

NAMES = sorted(check.CHECKERS)


@pytest.mark.parametrize("name", NAMES)
def test_calling_the_packages_own_function_is_rejected(name):
    """`return ptcourse.<name>(...)` is the answer itself, not a solution of the exercise."""

    def answer(*args, **kwargs):
        return getattr(ptcourse, name)(*args, **kwargs)

    with pytest.raises(check.CheckFailed, match=rf"calls ptcourse\.{name}, the function"):
        check.CHECKERS[name](answer)
    assert getattr(ptcourse, name) is harness.reference(name)  # put back after the check


@pytest.mark.parametrize(
    "obj, attr, fake",
    [
        (torch, "isclose", lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)),
        (harness, "close", lambda *a, **k: True),
        (_common, "close", lambda *a, **k: True),
    ],
    ids=["torch.isclose", "harness.close", "_common.close"],
)
def test_rebinding_the_comparison_is_rejected_and_undone(obj, attr, fake):
    """An answer that rebinds what the checker compares with is rejected, and the rebinding undone."""
    was = getattr(obj, attr)

    def entropy(logits):
        setattr(obj, attr, fake)
        return -ok_entropy(logits)  # wrong: it counts on the comparison lying

    try:
        with pytest.raises(check.CheckFailed, match=rf"changed \S*{attr}, which the checker uses"):
            check.entropy(entropy)
    finally:
        restored = getattr(obj, attr) is was
        setattr(obj, attr, was)
    assert restored


def test_a_wrong_reference_planted_before_the_check_is_not_compared_with():
    """`ptcourse.entropy = wrong` before the check: the checker still uses the real reference, and
    a NaN answer is not "expected [nan, nan]"."""

    def entropy(logits):
        return ok_entropy(logits) * float("nan")

    was = ptcourse.entropy
    ptcourse.entropy = entropy
    try:
        with pytest.raises(check.CheckFailed) as info:
            check.entropy(entropy)
    finally:
        ptcourse.entropy = was
    assert "is NaN" in str(info.value) and "expected [nan" not in str(info.value), str(info.value)


class _Liar(torch.Tensor):
    """A tensor whose comparisons always say yes."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("isclose", "eq", "__eq__", "allclose", "equal"):
            out = torch.Tensor._make_subclass(torch.Tensor, torch.ones(1, dtype=torch.bool))
            return True if name in ("allclose", "equal") else out
        return super().__torch_function__(func, types, args, kwargs)


def test_a_tensor_subclass_whose_comparisons_lie_is_judged_as_a_plain_tensor():
    """The result is copied out as a plain tensor before it is compared."""

    def entropy(logits):
        return (-ok_entropy(logits)).as_subclass(_Liar)

    with pytest.raises(check.CheckFailed, match="forgot the minus sign"):
        check.entropy(entropy)
