"""Every seed of the toy world passes through here, so one switch re-runs a chapter as another seed.

A result of this course is what holds across seeds and machines, not one lucky run. Set
``PTCOURSE_SEED_OFFSET=k`` (an int >= 0; default 0) and every seed the toy world uses (sampling,
RL and preference runs, reward-model data, the chapters' ``pc.toy.manual_seed`` and
``pc.toy.generator``) becomes :math:`\\text{seed used} = \\text{seed asked for} + k`. The shipped
pretrained and SFT checkpoints (``checkpoints.py``) are not shifted: the same files on every
machine and under every offset, as a downloaded base model would be.

>>> import os
>>> shifted(3)  # no PTCOURSE_SEED_OFFSET set: seeds are what they say
3
>>> os.environ["PTCOURSE_SEED_OFFSET"] = "1000"
>>> shifted(3)
1003
>>> with unshifted():  # what the checkpoints are trained under
...     shifted(3)
3
>>> del os.environ["PTCOURSE_SEED_OFFSET"]
"""

from __future__ import annotations

import contextlib
import os
import threading

import torch

__all__ = ["ENV", "generator", "manual_seed", "seed_offset", "shifted", "unshifted"]

ENV = "PTCOURSE_SEED_OFFSET"
_MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed takes a signed 64-bit int
_local = threading.local()


def seed_offset() -> int:
    """The offset ``k`` from ``PTCOURSE_SEED_OFFSET`` (0 when unset or inside ``unshifted()``).

    ValueError naming the variable unless it is an int in [0, 2**62].
    """
    raw = os.environ.get(ENV, "").strip()
    if getattr(_local, "off", False) or not raw:
        return 0
    try:
        k = int(raw)
    except ValueError:
        raise ValueError(f"{ENV} must be an int >= 0, got {raw!r}") from None
    if not 0 <= k <= 2**62:
        raise ValueError(f"{ENV} must be an int in [0, 2**62], got {k}")
    return k


def shifted(seed: int) -> int:
    """``seed + seed_offset()``; ValueError unless ``seed`` is an int >= 0 and the sum < 2**63."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"'seed' must be an int >= 0, got {seed!r}")
    s = seed + seed_offset()
    if s > _MAX_SEED:
        raise ValueError(f"'seed' plus {ENV} must be below 2**63, got {s}")
    return s


def generator(seed: int) -> torch.Generator:
    """A fresh CPU ``torch.Generator`` seeded with ``shifted(seed)``.

    >>> a, b = generator(0), generator(0)
    >>> torch.equal(torch.rand(3, generator=a), torch.rand(3, generator=b))
    True
    """
    return torch.Generator().manual_seed(shifted(seed))


def manual_seed(seed: int) -> torch.Generator:
    """Seed torch's global generator with ``shifted(seed)`` (what a chapter's first cell calls)."""
    return torch.manual_seed(shifted(seed))


@contextlib.contextmanager
def unshifted():
    """Inside this block (this thread), ``seed_offset()`` is 0: used to train the shared checkpoints."""
    before = getattr(_local, "off", False)
    _local.off = True
    try:
        yield
    finally:
        _local.off = before
