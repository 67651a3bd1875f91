"""Publish computed values to the book's prose (myst-nb ``glue``), and check what the prose claims.

Every number in a chapter's text goes through ``glue``, a no-op where myst-nb is missing (Colab,
plain Jupyter: the chapter's ``print`` lines show the numbers). ``claim`` also asserts, everywhere,
the bound its sentence states ("the reward rises above 1.5"), so a run that stops supporting its
sentence fails the book build with the claim's name (QuantEcon's executed lectures, plus asserts).

>>> glue("answer", 42)  # no error whether or not myst-nb is installed
>>> claim("reward_rises", 1.7, at_least=1.0)  # glued as 'reward_rises', and checked
1.7
>>> claim("reward_rises", 0.2, at_least=1.0)
Traceback (most recent call last):
...
ptcourse.course.glue.ClaimError: claim 'reward_rises' does not hold: 0.2 is below at_least=1
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ClaimError", "claim", "glue", "glue_spread"]


class ClaimError(AssertionError):
    """A chapter's sentence is no longer supported by the run next to it; the message names it."""


def glue(name: str, value: Any, display: bool = False) -> None:
    """Record ``value`` under ``name`` for ``{glue:text}`name``` references in the book."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue: 'name' must be a non-empty string, got {name!r}")
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:
        return
    _myst_glue(name, value, display=display)


def _as_float(name: str, value: Any, what: str) -> float:
    """One number (or one-element tensor/array) as a float; a ValueError naming the claim, else.

    NaN or +-inf is a ClaimError for the measured value (a diverged run supports no sentence), a
    ValueError for a bound (the caller's mistake).
    """
    size = getattr(value, "numel", None) or getattr(value, "size", None)
    size = size() if callable(size) else size
    if isinstance(size, int) and size != 1 and not isinstance(value, (int, float)):
        shape = tuple(getattr(value, "shape", ()))
        raise ValueError(
            f"claim {name!r}: {what} must be one number, got {type(value).__name__} of shape "
            f"{shape}"
        )
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (RuntimeError, ValueError) as err:  # a meta tensor, say
            raise ValueError(f"claim {name!r}: {what} has no number to read: {err}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"claim {name!r}: {what} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond the float range, e.g. 10**400
        raise ValueError(
            f"claim {name!r}: {what} is an int of {len(str(abs(value)))} digits, beyond the "
            "float range (about 1.8e308)"
        ) from None
    if what != "value" and not math.isfinite(value):
        raise ValueError(f"claim {name!r}: {what} must be a finite number, got {value}")
    if not math.isfinite(value):
        why = "NaN" if math.isnan(value) else f"{value} (a diverged run supports no bound)"
        raise ClaimError(f"claim {name!r} does not hold: the {what} is {why}")
    return value


def claim(
    name: str,
    value: Any,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    glue_it: bool = True,
    display: bool = False,
) -> Any:
    r"""Glue ``value`` under ``name`` and assert the bound the prose states about it.

    :math:`\text{at\_least} \;\le\; \text{value} \;\le\; \text{at\_most}`.
    ``name`` is the glue key and the claim's name in errors (say what the sentence says:
    ``"sft_on_topic"``). ``value`` is a float, int or one-element tensor; a ``bool`` with no bounds
    is a yes/no claim, asserted true and not glued. The inclusive bounds (one at least) come from
    the number's known noise, said in a comment at the call, not from today's value plus a hair.
    ``glue_it=False`` checks without publishing; ``display`` goes to myst-nb. Returns ``value``
    unchanged. A ClaimError (naming claim, value and bound) when the value is NaN, infinite or out
    of bounds, or a yes/no claim is false; a ValueError (naming the claim) for wrong arguments: no
    bound, bounds in the wrong order, a NaN or infinite bound, a value or bound that is not one
    number (a 2-element tensor, an int beyond the float range).

    >>> claim("kl_small", 0.03, at_most=0.1)
    0.03
    >>> claim("fit_on_heavier_bump", True)  # a yes/no claim
    True
    >>> claim("kl_small", 0.3, at_most=0.1)
    Traceback (most recent call last):
    ...
    ptcourse.course.glue.ClaimError: claim 'kl_small' does not hold: 0.3 is above at_most=0.1
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"claim: 'name' must be a non-empty string, got {name!r}")
    if isinstance(value, bool) and at_least is None and at_most is None:
        if not value:
            raise ClaimError(f"claim {name!r} does not hold: the condition is False")
        return value
    if at_least is None and at_most is None:
        raise ValueError(f"claim {name!r}: give 'at_least', 'at_most' or both")
    low = None if at_least is None else _as_float(name, at_least, "'at_least'")
    high = None if at_most is None else _as_float(name, at_most, "'at_most'")
    if low is not None and high is not None and low > high:
        raise ValueError(f"claim {name!r}: 'at_least'={low} is above 'at_most'={high}")
    x = _as_float(name, value, "value")
    if low is not None and not x >= low:
        raise ClaimError(f"claim {name!r} does not hold: {x:.6g} is below at_least={low:.6g}")
    if high is not None and not x <= high:
        raise ClaimError(f"claim {name!r} does not hold: {x:.6g} is above at_most={high:.6g}")
    if glue_it:
        glue(name, value.item() if hasattr(value, "item") else value, display=display)
    return value


def glue_spread(name: str, values, digits: int = 2) -> dict:
    r"""Glue the mean, minimum and maximum of a number measured over several seeds.

    Shown as "0.42; between 0.27 and 0.55 over 5 seeds": ``{name}`` is the mean, ``{name}_min`` and
    ``{name}_max`` the extremes, ``{name}_n`` the number of seeds, and ``{name}_range`` the text
    "0.27-0.55" with ``digits`` decimals. Returns ``{"mean", "min", "max", "n"}``.

    >>> glue_spread("entropy_ppo", [0.3, 0.5, 0.4])["mean"]
    0.4
    >>> glue_spread("x", [])
    Traceback (most recent call last):
    ...
    ValueError: glue_spread 'x': 'values' must hold at least one finite number, got []
    """
    vals = [_as_float(name, v, "each value") for v in values]
    if not vals or not all(math.isfinite(v) for v in vals):
        raise ValueError(
            f"glue_spread {name!r}: 'values' must hold at least one finite number, got {values!r}"
        )
    mean = round(sum(vals) / len(vals), 12)
    out = {"mean": mean, "min": min(vals), "max": max(vals), "n": len(vals)}
    for key in ("mean", "min", "max", "n"):
        glue(name if key == "mean" else f"{name}_{key}", out[key])
    glue(f"{name}_range", f"{out['min']:.{digits}f}–{out['max']:.{digits}f}")
    return out
