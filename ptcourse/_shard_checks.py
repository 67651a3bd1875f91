"""The checks of ``ptcourse.parallel``: refuse bad input on every rank alike (private).

A rank that raised alone would leave the others waiting in a collective forever. So each rank
checks what it can alone (``local_checks``), then one all-gather of every rank's metadata and
outcome (``agree``) makes every rank raise the same error; the targets' range and the NaN rows are
checked on values that every rank holds alike (``row_error``).
"""

from __future__ import annotations

import torch

from . import _validate as V
from ._chunks import nan_rows
from ._shard_comm import DTYPES, checksum, gather

__all__: list[str] = []


def local_checks(logits, targets, ref_logits, names, want_targets, vocab_start, ignore_index):
    """Checks that need no communication; returns (meta, ignore) or raises."""
    x_name, t_name, y_name = names
    V.logits(logits, x_name)
    v_local = logits.shape[-1]
    if want_targets and targets is None:
        raise ValueError(
            f"'{t_name}' is required: token ids of shape {tuple(logits.shape[:-1])}, got None"
        )
    if ref_logits is not None:
        V.logits(ref_logits, y_name)
        V.alike(logits, x_name, ref_logits, y_name)
    start = -1 if vocab_start is None else V.integer(vocab_start, "vocab_start", minimum=0)
    ignore = None if ignore_index is None else V.integer(ignore_index, "ignore_index")
    check = 0
    if targets is not None:  # the range is checked once every rank's shard is known
        V.targets(targets, t_name, logits.shape[:-1], None, logits.device)
        check = checksum(targets)
    y_dtype = DTYPES.get(ref_logits.dtype, 0) if ref_logits is not None else 0
    n = logits.numel() // v_local
    meta = [1, start, v_local, n, DTYPES.get(logits.dtype, 0), y_dtype, check]
    return meta, ignore


def agree(group, rank, world, device, meta, error, names):
    """All-gather every rank's metadata; raise the same error on every rank if any rank failed.
    Returns ``(vocab_start, vocab)``: this rank's first token id and the whole vocabulary size."""
    if error is not None:  # tell the others, so that no rank waits in a collective for this one
        meta = [0, *meta[1:]]
    table = gather(torch.tensor(meta, dtype=torch.int64, device=device), world, group)
    rows = [[int(v) for v in r.tolist()] for r in table]
    if error is not None:
        raise error
    failed = [r for r, row in enumerate(rows) if row[0] != 1]
    if failed:
        raise RuntimeError(
            f"rank(s) {failed} refused their inputs (see the error raised there); "
            f"rank {rank} computes nothing either"
        )
    x_name, t_name, _ = names
    names_of = {0: None, **{code: str(dt) for dt, code in DTYPES.items()}}
    for col, what in (
        (3, f"rows of '{x_name}' (N)"),
        (4, f"dtype of '{x_name}'"),
        (5, "ref dtype"),
    ):
        got = [row[col] if col == 3 else names_of.get(row[col]) for row in rows]
        if len(set(got)) > 1:
            raise ValueError(f"every rank must pass the same {what}: got {got} by rank")
    if len({row[6] for row in rows}) > 1:
        raise ValueError(f"'{t_name}' differ between ranks: every rank must pass the same targets")
    starts, sizes = [row[1] for row in rows], [row[2] for row in rows]
    if all(s == -1 for s in starts):
        if len(set(sizes)) > 1:
            raise ValueError(
                f"uneven shards {sizes} (V_r by rank) need 'vocab_start' on every rank; "
                "without it rank r is assumed to hold [r * V_r, (r + 1) * V_r)"
            )
        starts = [r * sizes[0] for r in range(world)]
    elif any(s == -1 for s in starts):
        raise ValueError(
            f"'vocab_start' must be given on every rank or on none, got {starts} by rank "
            "(-1 = not given)"
        )
    order = sorted(range(world), key=lambda r: starts[r])
    pos = 0
    for r in order:
        if starts[r] != pos:
            raise ValueError(
                f"the shards must tile the vocabulary without gaps or overlaps: 'vocab_start' by "
                f"rank {starts}, shard sizes {sizes}; rank {r} starts at {starts[r]}, expected {pos}"
            )
        pos += sizes[r]
    return starts[rank], pos


def row_error(outs, mx, my, names) -> None:
    """Raise (on every rank alike: all inputs here are all-reduced) when a row came out NaN."""
    bad = nan_rows(outs, mx.numel(), mx.device)
    if not bool(bad.any()):
        return
    i = int(bad.nonzero()[0])
    x_name, _, y_name = names
    for m, name in ((mx, x_name), (my, y_name)):
        if m is None:
            continue
        if torch.isneginf(m[i]):
            raise ValueError(
                f"'{name}' has a row whose logits are all -inf on every rank (row {i}): softmax "
                "puts no mass anywhere"
            )
        if torch.isposinf(m[i]):
            raise ValueError(f"'{name}' contains +inf on some rank (row {i})")
    raise ValueError(
        f"'{x_name}'" + (f" or '{y_name}'" if my is not None else "") + f" contains NaN on some "
        f"rank (row {i} of {mx.numel()} flattened rows)"
    )
