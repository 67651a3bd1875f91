"""Argument checks shared by the ptcourse core (private): bad input fails loudly, naming the
argument and showing its shape or value, instead of turning into a silent NaN three chapters later.
NaN and +inf in a large logits tensor are caught on the O(N) per-row results instead.
"""

from __future__ import annotations

import math
import operator

import torch

__all__: list[str] = []

KINDS = ("k1", "k2", "k3")


def compute_dtype(*dtypes: torch.dtype) -> torch.dtype:
    """fp16/bf16/fp32 -> fp32; anything involving fp64 -> fp64."""
    return torch.float64 if torch.float64 in dtypes else torch.float32


def tensor(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"'{name}' must be a torch.Tensor, got {type(x).__name__}")
    not_meta(x, name)
    return x


def not_meta(x: torch.Tensor, name: str) -> None:
    """A meta tensor has a shape but no values: refused by name (torch's own error names no one)."""
    if x.device.type == "meta":
        raise ValueError(
            f"'{name}' is a meta tensor (shape {tuple(x.shape)}, no values): ptcourse computes "
            "numbers, so pass a tensor on a real device (cpu, cuda, mps)"
        )


def pow2_unit(x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """A power of two near ``max |x|`` (over ``dim``, kept; all of ``x`` when None), detached, 1 where
    that is 0 or not finite: dividing by it is exact, so a sum of ``x / unit`` cannot overflow."""
    a = x.detach().abs()
    big = a.amax() if dim is None else a.amax(dim, keepdim=True)
    one = torch.ones_like(big)
    unit = torch.ldexp(one, torch.frexp(big).exponent - 1)
    return torch.where((big > 0) & torch.isfinite(big), unit, one)


def safe_mean(x: torch.Tensor) -> torch.Tensor:
    """``x.mean()`` on a power-of-two scale: bit-identical to it when that does not overflow, finite
    whenever the mean fits; the same gradient."""
    unit = pow2_unit(x)
    return (x / unit).mean() * unit


def float_tensor(x, name: str) -> torch.Tensor:
    tensor(x, name)
    if not x.is_floating_point():
        raise TypeError(
            f"'{name}' must be a floating-point tensor, got dtype {x.dtype} "
            f"with shape {tuple(x.shape)}"
        )
    return x


def floats(**tensors) -> None:
    """``float_tensor`` of each keyword argument, in order."""
    for name, x in tensors.items():
        float_tensor(x, name)


def logits(x, name: str = "logits") -> torch.Tensor:
    """A floating tensor with a non-empty last (vocabulary) dimension."""
    float_tensor(x, name)
    if x.dim() < 1 or x.shape[-1] < 1:
        raise ValueError(
            f"'{name}' must have shape (..., V) with V >= 1, got shape {tuple(x.shape)}"
        )
    return x


def _first(bad: torch.Tensor) -> tuple[int, ...]:
    """Index of the first True entry of ``bad`` (as a tuple, for messages)."""
    return tuple(int(i) for i in bad.nonzero()[0])


def no_nan(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.numel() and bool(torch.isnan(x).any()):
        bad = torch.isnan(x)
        raise ValueError(
            f"'{name}' contains NaN ({int(bad.sum())} of {x.numel()} entries, first at index "
            f"{_first(bad)}, shape {tuple(x.shape)})"
        )
    return x


def refuse(bad: torch.Tensor, message) -> None:
    """Raise ``ValueError(message(i))`` at the first index ``i`` where ``bad`` holds."""
    if bad.numel() and bool(bad.any()):
        raise ValueError(message(_first(bad)))


def finite(x: torch.Tensor, name: str, where: torch.Tensor | None = None) -> torch.Tensor:
    """No NaN anywhere, and no +-inf (only where ``where`` is True, when given)."""
    no_nan(x, name)
    refuse(
        torch.isinf(x) if where is None else torch.isinf(x) & where,
        lambda i: (
            f"'{name}' must be finite, got {x[i].item()} at index {i} (shape {tuple(x.shape)})"
        ),
    )
    return x


def logprob(x: torch.Tensor, name: str, where: torch.Tensor | None = None) -> torch.Tensor:
    """Log-probabilities: a float tensor without NaN (anywhere) or +inf (where ``where``)."""
    float_tensor(x, name)
    no_nan(x, name)
    refuse(
        torch.isposinf(x) if where is None else torch.isposinf(x) & where,
        lambda i: (
            f"'{name}' contains +inf at index {i}: a log-probability is at most 0 "
            f"(shape {tuple(x.shape)})"
        ),
    )
    return x


def same_device(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    if a.device != b.device:
        raise ValueError(
            f"'{b_name}' is on {b.device} but '{a_name}' is on {a.device}; "
            "ptcourse never moves data between devices"
        )


def alike(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    """``b`` has the shape of ``a``, and its device."""
    if a.shape != b.shape:
        raise ValueError(
            f"'{b_name}' must have the same shape as '{a_name}': "
            f"got {b_name} {tuple(b.shape)} vs {a_name} {tuple(a.shape)}"
        )
    same_device(a, a_name, b, b_name)


def mask(m, name: str, shape: torch.Size, device: torch.device) -> torch.Tensor:
    """``m`` (bool or 0/1) as a bool tensor of ``shape``."""
    tensor(m, name)
    if m.shape != shape:
        raise ValueError(f"'{name}' must have shape {tuple(shape)}, got {tuple(m.shape)}")
    if m.device != device:
        raise ValueError(f"'{name}' is on {m.device} but the data is on {device}")
    if m.dtype == torch.bool:
        return m
    if m.is_complex():
        raise TypeError(f"'{name}' must be bool or 0/1, got dtype {m.dtype}")
    if m.numel() and not bool(((m == 0) | (m == 1)).all()):
        bad = m[(m != 0) & (m != 1)].flatten()[:5].tolist()
        raise ValueError(f"'{name}' must be bool or hold only 0/1, got values such as {bad}")
    return m != 0


def nonempty(m: torch.Tensor, name: str) -> None:
    if not bool(m.any()):
        raise ValueError(
            f"'{name}' selects no token (shape {tuple(m.shape)}): the mean over zero tokens is undefined"
        )


def integer_dtype(t: torch.Tensor, name: str) -> None:
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise TypeError(f"'{name}' must be an integer tensor, got dtype {t.dtype}")


def targets(
    t, name: str, batch_shape: torch.Size, vocab: int | None, device: torch.device
) -> torch.Tensor:
    """Integer class indices of ``batch_shape`` in ``[0, vocab)`` (any value when vocab is None)."""
    tensor(t, name)
    integer_dtype(t, name)
    if t.shape != batch_shape:
        raise ValueError(
            f"'{name}' must have shape {tuple(batch_shape)} (the logits' shape without the "
            f"vocabulary dim), got {tuple(t.shape)}"
        )
    if t.device != device:
        raise ValueError(f"'{name}' is on {t.device} but the logits are on {device}")
    if vocab is not None:
        target_range(t, name, vocab)
    return t.long()


def target_range(t: torch.Tensor, name: str, vocab: int, ignore: int | None = None) -> None:
    """Every target in ``[0, vocab)``, except those equal to ``ignore``."""
    vals = t[t != ignore] if ignore is not None and t.numel() else t
    if vals.numel():
        lo, hi = int(vals.min()), int(vals.max())
        if lo < 0 or hi >= vocab:
            extra = "" if ignore is None else f" or equal ignore_index={ignore}"
            raise ValueError(
                f"'{name}' must lie in [0, V) = [0, {vocab}){extra}, got values in [{lo}, {hi}]"
            )


def _is_bool(x) -> bool:
    """Python or numpy booleans (numpy is never imported here)."""
    return isinstance(x, bool) or (
        type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_")
    )


def scalar(
    x,
    name: str,
    *,
    positive: bool = True,
    allow_zero: bool = False,
    below: float | None = None,
    dtype: torch.dtype | None = None,
) -> float:
    """A finite real (int, float, numpy, one-element tensor; not bool) as a float; ``positive``: > 0
    (>= 0 with ``allow_zero``); ``below``: < below; ``dtype``: non-zero values normal in it
    (1e39 overflows fp32, 1e-50 is 0 in it), so that its arithmetic never meets inf * 0."""
    if isinstance(x, torch.Tensor):
        if x.numel() != 1:
            raise ValueError(f"'{name}' must be a scalar, got a tensor of shape {tuple(x.shape)}")
        if x.dtype == torch.bool or x.is_complex():
            raise TypeError(f"'{name}' must be a real number, got a tensor of dtype {x.dtype}")
        not_meta(x, name)
        x = x.item()
    if _is_bool(x) or isinstance(x, (str, bytes, complex)) or x is None:
        raise TypeError(f"'{name}' must be a real number, got {x!r}")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"'{name}' must be a real number, got {x!r}") from None
    if math.isnan(v) or math.isinf(v):
        raise ValueError(f"'{name}' must be finite, got {v}")
    if positive and (v < 0 or (v == 0 and not allow_zero)):
        raise ValueError(f"'{name}' must be {'>= 0' if allow_zero else '> 0'}, got {v}")
    if below is not None and not v < below:
        raise ValueError(f"'{name}' must be < {below}, got {v}")
    fi = torch.finfo(dtype) if dtype is not None and v != 0 else None
    if fi is not None and not fi.tiny <= abs(v) <= fi.max:
        raise ValueError(
            f"'{name}' = {v:g} is outside the range of {dtype} that the computation runs in "
            f"(|{name}| from {fi.tiny:.3g} to {fi.max:.3g}); use float64 inputs or a smaller "
            f"{name}"
        )
    return v


def integer(x, name: str, minimum: int | None = None) -> int:
    """An int from int, numpy integers or a one-element integer tensor (not bool), >= ``minimum``."""
    if isinstance(x, torch.Tensor) and x.numel() == 1 and not x.is_floating_point():
        not_meta(x, name)
        if x.dtype != torch.bool and not x.is_complex():
            x = x.item()
    if _is_bool(x):
        raise TypeError(f"'{name}' must be an int, got {x!r}")
    try:
        v = operator.index(x)
    except TypeError:
        raise TypeError(f"'{name}' must be an int, got {x!r}") from None
    if minimum is not None and v < minimum:
        raise ValueError(f"'{name}' must be >= {minimum}, got {v}")
    return v


def kind(k) -> str:
    if k not in KINDS:
        raise ValueError(f"'kind' must be one of {KINDS}, got {k!r}")
    return k


def chunk_size(c, name: str = "chunk_size") -> int | None:
    """None or a positive int (numpy integers too); bool and float are refused by name."""
    if c is None:
        return None
    try:
        v = integer(c, name)
    except TypeError:
        raise ValueError(f"'{name}' must be a positive int or None, got {c!r}") from None
    if v < 1:
        raise ValueError(f"'{name}' must be a positive int or None, got {c!r}")
    return v
