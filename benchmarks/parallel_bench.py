"""Time and communication of ptcourse.parallel at world sizes 1, 2 and 4 (gloo, CPU processes).

Run from the repository root::

    .venv/bin/python benchmarks/parallel_bench.py                     # N=256, V=32768, fp32
    .venv/bin/python benchmarks/parallel_bench.py --worlds 1 2 --n 512 --v 131072 --repeats 5

For each world size W, W processes (one torch thread each) form a gloo group; every rank holds
``(N, V / W)`` float32 logits (and a reference of the same shape) and runs, ``--repeats`` times
after one warm-up, interleaved: ``token_logprobs``, ``entropy``, ``kl_divergence``,
``token_stats`` (forward), and ``token_stats`` forward + backward. Reported per case: the median
wall time over repeats of the slowest rank (a collective finishes when the last rank arrives),
the payload this rank contributed to collectives (``count_communication``: an all-gather of 7
int64, the MAX and SUM all-reduces), and the unsharded ``ptcourse`` function in one process on
the whole ``(N, V)`` for reference (also one thread), and ``F.cross_entropy(reduction="none")``.

On one machine, W processes share its cores: with fewer cores than ranks the ranks take turns and
the sharded time can only grow with W; what the table shows then is the overhead of the
collectives and of splitting, not a speed-up. The table is headed by the CPU model, the kernel set
torch dispatched to (``torch.backends.cpu.get_cpu_capability()``), the core count and the load
average before and after, and written to ``benchmarks/results/parallel.md``. Nothing here asserts
a timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

ROOT = Path(__file__).resolve().parents[1]
CASES = ("token_logprobs", "entropy", "kl_divergence", "token_stats", "token_stats fwd+bwd")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _inputs(n, v, world, rank):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, v, generator=g)
    y = torch.randn(n, v, generator=g)
    t = torch.randint(0, v, (n,), generator=g)
    vr = v // world
    return (
        x[:, rank * vr : (rank + 1) * vr].contiguous(),
        y[:, rank * vr : (rank + 1) * vr].contiguous(),
        t,
    )


def _call(case, x, y, t):
    from ptcourse import parallel

    if case == "token_logprobs":
        return parallel.token_logprobs(x, t)
    if case == "entropy":
        return parallel.entropy(x)
    if case == "kl_divergence":
        return parallel.kl_divergence(x, y)
    if case == "token_stats":
        return parallel.token_stats(x, t, y)
    xg = x.detach().requires_grad_()
    s = parallel.token_stats(xg, t, y)
    (s.logp.sum() + s.entropy.sum() + s.kl.sum()).backward()
    return xg.grad


def _rank(rank, world, store, n, v, repeats, out):
    torch.set_num_threads(1)
    from ptcourse import parallel

    dist.init_process_group("gloo", store=dist.FileStore(store, world), rank=rank, world_size=world)
    x, y, t = _inputs(n, v, world, rank)
    times = {c: [] for c in CASES}
    sent = {}
    for c in CASES:  # warm-up, and the bytes
        with parallel.count_communication() as cnt:
            _call(c, x, y, t)
        sent[c] = cnt["bytes"]
    for _ in range(repeats):
        for c in CASES:
            dist.barrier()
            t0 = time.perf_counter()
            _call(c, x, y, t)
            el = torch.tensor([time.perf_counter() - t0])
            dist.all_reduce(el, op=dist.ReduceOp.MAX)  # the slowest rank
            times[c].append(float(el))
    if rank == 0:
        torch.save({"times": times, "sent": sent}, out)
    dist.destroy_process_group()


def _unsharded(n, v, repeats):
    import torch.nn.functional as F

    import ptcourse as pc

    torch.set_num_threads(1)
    x, y, t = _inputs(n, v, 1, 0)

    def fb():
        xg = x.detach().requires_grad_()
        s = pc.token_stats(xg, t, y)
        (s.logp.sum() + s.entropy.sum() + s.kl.sum()).backward()

    fns = {
        "token_logprobs": lambda: pc.token_logprobs(x, t),
        "entropy": lambda: pc.entropy(x),
        "kl_divergence": lambda: pc.kl_divergence(x, y),
        "token_stats": lambda: pc.token_stats(x, t, y),
        "token_stats fwd+bwd": fb,
        "F.cross_entropy": lambda: F.cross_entropy(x, t, reduction="none"),
    }
    res = {k: [] for k in fns}
    for f in fns.values():
        f()
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            res[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in res.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--v", type=int, default=32768)
    ap.add_argument("--worlds", type=int, nargs="*", default=[1, 2, 4])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "parallel.md"))
    args = ap.parse_args(argv)
    load0 = _load()
    base = _unsharded(args.n, args.v, args.repeats)
    rows = {}
    for w in args.worlds:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "res.pt")
            mp.spawn(
                _rank,
                args=(w, os.path.join(tmp, "store"), args.n, args.v, args.repeats, out),
                nprocs=w,
                join=True,
            )
            rows[w] = torch.load(out)
    cap = torch.backends.cpu.get_cpu_capability()
    gathered = args.n * args.v * 4  # one fp32 (N, V) logits tensor, for scale
    lines = [
        "# ptcourse.parallel: time and communication by world size",
        "",
        f"Made by `benchmarks/parallel_bench.py`, {time.strftime('%Y-%m-%d')}: N={args.n}, "
        f"V={args.v}, float32, gloo on CPU, one torch thread per rank, median of "
        f"{args.repeats}. CPU: {_cpu_model()}, {os.cpu_count()} cores; kernel set "
        f"`{cap}`; torch {torch.__version__}, Python {sys.version.split()[0]}; load average "
        f"{load0} before, {_load()} after.",
        "",
        "Time: the slowest rank's wall time (ms). Bytes: this rank's payload into collectives "
        f"(one fp32 (N, V) logits tensor is {gathered} bytes).",
        "",
        "| case | unsharded, 1 process (ms) | "
        + " | ".join(f"W={w} (ms) | W={w} bytes/rank" for w in args.worlds)
        + " |",
        "|---|---:|" + "---:|---:|" * len(args.worlds),
    ]
    for c in CASES:
        cells = [f"{base[c] * 1e3:.1f}"]
        for w in args.worlds:
            cells += [
                f"{statistics.median(rows[w]['times'][c]) * 1e3:.1f}",
                str(rows[w]["sent"][c]),
            ]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"`F.cross_entropy(reduction='none')` on the whole (N, V), 1 process: "
        f"{base['F.cross_entropy'] * 1e3:.1f} ms.",
        "",
        f"With {os.cpu_count()} cores shared by W rank processes (and other users' work), "
        "larger W cannot run faster here: the columns show the cost of the collectives and of "
        "splitting; the bytes column is the point -- it does not depend on V.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
