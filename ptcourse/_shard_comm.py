"""The process group of ``ptcourse.parallel``: its members, its collectives, and a count of them (private).

Every collective of the sharded statistics goes through ``all_reduce`` or ``gather``, so that
``count_communication`` (re-exported as ``ptcourse.parallel.count_communication``) sees its payload.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.distributed as dist

__all__ = ["count_communication"]

DTYPES = {torch.float16: 1, torch.bfloat16: 2, torch.float32: 3, torch.float64: 4}
COUNTERS: list[dict] = []


@contextlib.contextmanager
def count_communication() -> Iterator[dict]:
    """Count the collectives this process runs inside the block, and the bytes it contributes.

    Yields a dict: ``calls`` (number of collectives), ``bytes`` (the payload of this rank's tensors,
    the values it sends into each all-reduce or all-gather) and ``by_op`` (bytes per kind:
    ``"max"``, ``"sum"``, ``"gather"``). What the backend moves on the wire depends on its
    algorithm (a ring all-reduce sends about twice the payload); the count is of the payload.

    >>> with count_communication() as c:
    ...     pass  # run sharded statistics here
    >>> c
    {'calls': 0, 'bytes': 0, 'by_op': {}}
    """
    c: dict = {"calls": 0, "bytes": 0, "by_op": {}}
    COUNTERS.append(c)
    try:
        yield c
    finally:
        COUNTERS.remove(c)


def note(op: str, t: torch.Tensor) -> None:
    size = t.numel() * t.element_size()
    for c in COUNTERS:
        c["calls"] += 1
        c["bytes"] += size
        c["by_op"][op] = c["by_op"].get(op, 0) + size


def all_reduce(t: torch.Tensor, op: str, group) -> None:
    note(op, t)
    dist.all_reduce(t, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM, group=group)


def group_info(group) -> tuple[object, int, int]:
    """(group, rank, world size); a clear error when torch.distributed is not set up."""
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "'group': torch.distributed is not initialised; call "
            "torch.distributed.init_process_group(...) first (world size 1 works too)"
        )
    rank = dist.get_rank(group)
    if rank < 0:
        raise ValueError("'group': this process is not a member of the given process group")
    return group, rank, dist.get_world_size(group)


def comm_device(group, x) -> torch.device:
    if isinstance(x, torch.Tensor):
        return x.device
    if dist.get_backend(group) == "nccl":  # pragma: no cover - GPU only
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def checksum(t: torch.Tensor) -> int:
    """A cheap fingerprint of the targets, to check every rank passed the same ones."""
    if t.numel() == 0:
        return 0
    w = torch.arange(1, t.numel() + 1, device=t.device, dtype=torch.int64) % 9973 + 1
    return int(((t.reshape(-1).to(torch.int64) + 7) * w).sum())


def gather(t: torch.Tensor, world: int, group) -> list[torch.Tensor]:
    """All-gather ``t`` from every rank of ``group`` (counted as ``"gather"``)."""
    table = [torch.empty_like(t) for _ in range(world)]
    note("gather", t)
    dist.all_gather(table, t, group=group)
    return table
