"""What a checker says: small tensors as short lists, the result object, and the failure block.

IPython (Jupyter, Colab) shows an exception through its ``_render_traceback_`` when it has one, so a
learner sees :class:`CheckFailed`'s short block and no traceback through the checker (a plain Python
run gets the usual traceback). The marks are U+2713 (check mark), U+2717 (ballot x) and U+2026
(ellipsis), which every common font has; an emoji may show as an empty box.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

import torch

PASS, FAIL, OPEN = "\u2713", "\u2717", "\u2026"  # check mark, ballot x, ellipsis
NOT_DONE = "not done yet"
_WIDTH = 96  # characters per line of the failure block
_MOST_LINES = 10  # lines of the failure block at most


def num(x: float, digits: int = 4) -> str:
    """A number the short way: 2, 0.6931, -inf, nan."""
    if not math.isfinite(x):
        return str(x)  # nan, inf or -inf
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{digits}g}"


def pair_logps(pc, pr, rc, rr) -> str:
    """The four per-pair log-prob arguments of a preference loss, as a check's "where" text."""
    return (f"policy_chosen_logp={fmt(pc)}, policy_rejected_logp={fmt(pr)}, "
            f"ref_chosen_logp={fmt(rc)}, ref_rejected_logp={fmt(rr)}")  # fmt: skip


def fmt(t, digits: int = 4, most: int = 12) -> str:
    """A small tensor as a compact nested list ([0.7, 0.3]); a large one by its shape."""
    if isinstance(t, torch.Tensor):
        if t.is_complex() or t.device.type == "meta":
            return f"a {t.dtype} tensor of shape {tuple(t.shape)} on {t.device}"
        if t.numel() > most:
            return f"a tensor of shape {tuple(t.shape)}"
        t = t.detach().double().cpu()
        if t.dim() == 0:
            return num(t.item(), digits)
        return "[" + ", ".join(fmt(x, digits, most) for x in t) + "]"
    if isinstance(t, float):
        return num(t, digits)
    text = repr(t)
    return text if len(text) <= 60 else text[:57] + "..."


def pair(got: torch.Tensor, want: torch.Tensor) -> tuple[str, str]:
    """Format got and want, with more digits when 4 would make them look the same."""
    for digits in (4, 8):
        g, w = fmt(got, digits), fmt(want, digits)
        if g != w:
            break
    return g, w


@dataclass
class CheckResult:
    """What one checker found: ``status`` is "passed", "failed" or "not done"; ``checks`` the
    checks that ran (and passed, up to the first failure); ``message`` the failure's text;
    ``hints`` remarks on a passing answer (it is correct but slow, say)."""

    name: str
    status: str
    checks: list[str] = field(default_factory=list)
    message: str = ""
    hints: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        if self.status == "passed":
            n = len(self.checks)
            done = "the 1 check passed" if n == 1 else f"all {n} checks passed"
            line = f"{PASS} {self.name}: correct -- {done}."
            return "\n".join([line, *(f"  hint: {h}" for h in self.hints)])
        if self.status == "not done":
            return (f"{OPEN} {self.name}: {NOT_DONE} -- write the function `{self.name}` you "
                    "define in this exercise, then run this cell again.")  # fmt: skip
        return f"{FAIL} {self.name}: {self.message}"

    def _ipython_display_(self) -> None:
        """Show nothing in a notebook: the checker has already printed ``str(self)``."""


class CheckFailed(AssertionError):
    """A wrong answer: what failed, on which input, returned vs expected, and why.

    ``str()`` is one paragraph starting "your ..."; IPython shows :meth:`_render_traceback_`, the
    short block, instead of a traceback; ``result`` is the :class:`CheckResult`.
    """

    def __init__(
        self, name, headline, where="", got=None, want=None, why="", code="", of="", label=""
    ):
        self.name, self.headline, self.where, self.why, self.code = name, headline, where, why, code
        self.label = label or f"check.{name}"  # what the header names: a checker, or a prediction
        self.got, self.want, self.of = got, want, of
        text = headline + (f" for {where}" if where else "")
        if got is not None:
            text += f": {of} is {got}" if of else f": your {name} returned {got}"
            text += f"; expected {want}" if want is not None else ""
        text += "."
        if code:
            text += f" (your code: {code})"
        super().__init__(text + (f" {why}" if why else ""))
        self.result = CheckResult(name, "failed", message=str(self))

    def _render_traceback_(self) -> list[str]:
        """At most about ten short lines: the headline, input, returned, expected and diagnosis."""
        rows = [("input", self.where), ("your code", self.code)]
        rows += [(self.of or "returned", self.got), ("expected", self.want), ("why", self.why)]
        head = textwrap.wrap(f"{FAIL} {self.label}: {self.headline}", _WIDTH)
        lines = head[:1] + [f"  {h}" for h in head[1:2]]
        for label, value in rows:
            if not value:
                continue
            most = 3 if label in ("why", "input") else 2  # an input cut short cannot be rerun
            wrapped = textwrap.wrap(str(value), _WIDTH - 14) or [""]
            if len(wrapped) > most:
                wrapped = wrapped[: most - 1] + [wrapped[most - 1] + " ..."]
            lines.append(f"  {label:<11} {wrapped[0]}")
            lines += [f"  {'':<11} {w}" for w in wrapped[1:]]
        return lines[:_MOST_LINES]
