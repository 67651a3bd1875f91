"""Speed and memory of the ptcourse core against torch's fused kernel and the naive compositions.

Run from the repository root::

    .venv/bin/python benchmarks/core_bench.py                  # N=1024, V=131072, fp32
    .venv/bin/python benchmarks/core_bench.py --n 256 --v 32768 --repeats 5

Time: every case runs once to warm up, then the cases run round-robin ``--repeats`` times in this
one process (interleaving spreads machine noise over all cases alike); the table reports the median
time and its ratio to ``F.cross_entropy(reduction="none")`` and to the naive composition that
computes the same quantity.

Memory: each case runs once in a fresh subprocess (``--memory-case``). It allocates and touches its
inputs, reads the resident-set high-water mark (``resource.getrusage(RUSAGE_SELF).ru_maxrss``),
runs the case, reads it again; the difference is the case's extra peak memory, reported as a
percentage of one logits tensor. (torch's CPU allocator returns large blocks to the OS, so RSS
tracks live tensors; a fresh process keeps earlier cases from hiding or inflating the peak.)

The table is printed as markdown and written to ``benchmarks/results/core.md``. This is a
benchmark, not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import ptcourse as pc

Cat = torch.distributions.Categorical
RESULTS = Path(__file__).resolve().parent / "results" / "core.md"


def _inputs(n: int, v: int, dtype: torch.dtype, grad: bool = False):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, v, generator=gen, dtype=torch.float32).to(dtype)  # (N, V)
    y = torch.randn(n, v, generator=gen, dtype=torch.float32).to(dtype)  # (N, V)
    t = torch.randint(0, v, (n,), generator=gen)  # (N,)
    if grad:
        x.requires_grad_()
    return x, y, t


def naive_logprobs(x, t):
    return torch.log_softmax(x.float(), -1).gather(-1, t[:, None]).squeeze(-1)


def naive_stats(x, y, t):
    p, q = Cat(logits=x.float()), Cat(logits=y.float())
    return (
        naive_logprobs(x, t),
        p.entropy(),
        torch.distributions.kl_divergence(p, q),
        naive_logprobs(y, t),
    )


def _backward(out):
    out.sum().backward()


# name -> (function of (x, y, t), naive counterpart's name or None, needs grad)
CASES = {
    "F.cross_entropy": (lambda x, y, t: F.cross_entropy(x, t, reduction="none"), None, False),
    "token_logprobs": (lambda x, y, t: pc.token_logprobs(x, t), "log_softmax+gather", False),
    "log_softmax+gather": (lambda x, y, t: naive_logprobs(x, t), None, False),
    "entropy": (lambda x, y, t: pc.entropy(x), "Categorical.entropy", False),
    "Categorical.entropy": (lambda x, y, t: Cat(logits=x).entropy(), None, False),
    "kl_divergence": (lambda x, y, t: pc.kl_divergence(x, y), "distributions.kl_divergence", False),
    "distributions.kl_divergence": (
        lambda x, y, t: torch.distributions.kl_divergence(Cat(logits=x), Cat(logits=y)),
        None,
        False,
    ),
    "token_stats": (lambda x, y, t: pc.token_stats(x, t, y), "naive stats", False),
    "naive stats": (lambda x, y, t: naive_stats(x, y, t), None, False),
    "token_logprobs fwd+bwd": (
        lambda x, y, t: _backward(pc.token_logprobs(x, t)),
        "log_softmax+gather fwd+bwd",
        True,
    ),
    "log_softmax+gather fwd+bwd": (lambda x, y, t: _backward(naive_logprobs(x, t)), None, True),
}


def _run(name, x, y, t):
    fn = CASES[name][0]
    if CASES[name][2]:
        x.grad = None
        fn(x, y, t)
    else:
        with torch.no_grad():
            fn(x, y, t)


def time_cases(n: int, v: int, dtype: torch.dtype, repeats: int) -> dict[str, float]:
    plain = _inputs(n, v, dtype)
    with_grad = _inputs(n, v, dtype, grad=True)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for name in CASES:  # warm-up
        _run(name, *(with_grad if CASES[name][2] else plain))
    for _ in range(repeats):
        for name in CASES:
            args = with_grad if CASES[name][2] else plain
            start = time.perf_counter()
            _run(name, *args)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def memory_case(name: str, n: int, v: int, dtype: torch.dtype) -> None:
    """Run in a fresh subprocess: print the extra peak RSS (bytes) of one call of ``name``."""
    _run(name, *_inputs(4, 64, dtype, grad=CASES[name][2]))  # load kernels/threads first
    x, y, t = _inputs(n, v, dtype, grad=CASES[name][2])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    _run(name, x, y, t)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"extra_bytes": (after - before) * 1024}))


def measure_memory(name: str, n: int, v: int, dtype_name: str) -> float:
    cmd = [sys.executable, __file__, "--memory-case", name, "--n", str(n), "--v", str(v)]
    cmd += ["--dtype", dtype_name, "--threads", str(torch.get_num_threads())]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["extra_bytes"]


def table(n, v, dtype_name, repeats, times, memory, logits_bytes) -> str:
    ce = times["F.cross_entropy"]
    lines = [
        f"Core benchmark: N={n}, V={v}, {dtype_name}; one logits tensor = "
        f"{logits_bytes / 2**20:.0f} MiB; median of {repeats} interleaved repeats; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}.",
        "",
        "| case | time (ms) | vs F.cross_entropy | vs naive | extra peak memory (% of logits) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (_, naive, _) in CASES.items():
        vs_naive = f"{times[name] / times[naive]:.2f}x" if naive else ""
        mem = f"{100 * memory[name] / logits_bytes:.1f}%" if name in memory else "n/a"
        lines.append(
            f"| {name} | {1e3 * times[name]:.1f} | {times[name] / ce:.2f}x | {vs_naive} | {mem} |"
        )
    lines += [
        "",
        "Naive counterparts: token_logprobs -> log_softmax+gather, entropy -> Categorical.entropy, "
        "kl_divergence -> distributions.kl_divergence, token_stats -> all four naive pieces. "
        "Forward cases run under no_grad; fwd+bwd cases include the (N, V) gradient itself.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1024, help="rows (tokens)")
    ap.add_argument("--v", type=int, default=131072, help="vocabulary size")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    ap.add_argument("--memory-case", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--append", action="store_true", help="append to --out instead of replacing")
    args = ap.parse_args(argv)
    dtype = getattr(torch, args.dtype)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_case:
        memory_case(args.memory_case, args.n, args.v, dtype)
        return
    memory = {}
    if not args.no_memory:
        for name in CASES:
            memory[name] = measure_memory(name, args.n, args.v, args.dtype)
    times = time_cases(args.n, args.v, dtype, args.repeats)
    logits_bytes = args.n * args.v * torch.tensor([], dtype=dtype).element_size()
    md = table(args.n, args.v, args.dtype, args.repeats, times, memory, logits_bytes)
    print(md)
    if args.out.exists() and args.append:
        md = args.out.read_text() + "\n" + md
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)


if __name__ == "__main__":
    main()
