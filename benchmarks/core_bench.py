"""Speed and memory of the ptcourse core against torch's fused kernel, TRL, the naive compositions
and a compiled floor, side by side in one run.

Run from the repository root::

    .venv/bin/python benchmarks/core_bench.py                  # N=1024, V=131072, fp32, 2 threads
    .venv/bin/python benchmarks/core_bench.py --n 256 --v 32768 --repeats 5 --no-compile

Peers, reimplemented here from their published source (and, when the ``trl`` extra is installed,
TRL's own functions run beside them):
TRL's ``selective_log_softmax`` and ``entropy_from_logits`` from ``trl/trainer/utils.py`` at
huggingface/trl commit f2cd57710ae3 (2026-07-24, version 1.10.0.dev0): the fp32 branch of
``selective_log_softmax`` gathers the target logits and subtracts a per-row ``torch.logsumexp``
(a Python loop over rows); ``entropy_from_logits`` loops over 128-row chunks of
``-(exp(log_softmax) * log_softmax).sum(-1)``.

The compiled floor is ptcourse's own optional fused path (``compile=True``: each chunk through
``torch.compile``), i.e. what inductor makes of the same chunked formulas; the ``torch.compile(...)``
cases are the compiler applied to the naive whole-tensor expressions, a user's real alternative.
Each table records the CPU kernel set torch ran (``torch.backends.cpu.get_cpu_capability()``): run
once as is and once under ``ATEN_CPU_CAPABILITY=avx2`` (or ``default``) to compare kernel sets.

Time: every case runs once to warm up (compiling the fused kernels), then the cases run
round-robin ``--repeats`` times in this one process, interleaved so that machine noise falls on
all alike; the table reports medians and ratios to ``F.cross_entropy(reduction="none")``.

Memory: each case runs once in a fresh subprocess (``--memory-case``): it allocates and touches its
inputs, reads the resident-set high-water mark (``ru_maxrss``), runs the case and reads it again;
the difference, as a percentage of one logits tensor, is the extra peak memory (torch's CPU
allocator returns large blocks to the OS, so RSS tracks live tensors). Compiled cases are not
measured for memory (each subprocess would compile again).

The table, with the CPU model, its cache sizes and the machine's load (``/proc/loadavg``) before
and after, is printed and written to ``benchmarks/results/core.md``. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
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
TRL_SOURCE = "huggingface/trl@f2cd57710ae3 (1.10.0.dev0), trl/trainer/utils.py"


# ------------------------------------------------------------------ peers


def trl_selective_log_softmax(logits, index):
    """TRL's fp32 branch: gather, minus a per-row logsumexp computed in a Python loop."""
    selected = torch.gather(logits, dim=-1, index=index.unsqueeze(-1)).squeeze(-1)
    lse = torch.stack([torch.logsumexp(lg, dim=-1) for lg in logits])  # loop: lower peak memory
    return selected - lse


def trl_entropy_from_logits(logits, chunk_size: int = 128):
    """TRL's chunked entropy: -(exp(logp) * logp).sum(-1) over 128-row chunks."""
    flat = logits.reshape(-1, logits.shape[-1])
    out = [
        -(torch.exp(lp) * lp).sum(-1)
        for lp in (F.log_softmax(c, dim=-1) for c in flat.split(chunk_size))
    ]
    return torch.cat(out).reshape(logits.shape[:-1])


def chunked_kl(x, y, chunk_size: int = 128):
    """The chunked log_softmax composition of the exact KL (what one writes by hand)."""
    out = []
    for xc, yc in zip(x.split(chunk_size), y.split(chunk_size), strict=True):
        zx, zy = F.log_softmax(xc, -1), F.log_softmax(yc, -1)
        out.append((zx.exp() * (zx - zy)).sum(-1))
    return torch.cat(out)


def naive_logprobs(x, t):
    return torch.log_softmax(x.float(), -1).gather(-1, t[:, None]).squeeze(-1)


def naive_stats(x, y, t):
    p, q = Cat(logits=x.float()), Cat(logits=y.float())
    kl = torch.distributions.kl_divergence(p, q)
    return naive_logprobs(x, t), p.entropy(), kl, naive_logprobs(y, t)


def _bwd(out):
    (sum(o.sum() for o in out) if isinstance(out, tuple) else out.sum()).backward()


def _stats(s):
    return s.logp, s.entropy, s.kl


def naive_entropy(x):
    z = torch.log_softmax(x, -1)
    return -(z.exp() * z).sum(-1)


def naive_kl(x, y):
    zx, zy = torch.log_softmax(x, -1), torch.log_softmax(y, -1)
    return (zx.exp() * (zx - zy)).sum(-1)


@functools.cache
def _compiled(fn):
    """``torch.compile`` of a naive whole-tensor expression: the user's real alternative (issue 27)."""
    return torch.compile(fn, dynamic=False)


def _trl():
    """TRL's own functions when trl is installed (the ``trl`` extra), else None."""
    try:
        from trl.trainer import utils
    except Exception:  # noqa: BLE001 -- trl absent, or present but unimportable here
        return None
    return utils


# name -> (quantity, function of (x, y, t), needs grad, compiled)
CASES = {
    "F.cross_entropy": ("baseline", lambda x, y, t: F.cross_entropy(x, t, reduction="none"), 0, 0),
    "ptcourse.token_logprobs": ("log-probs", lambda x, y, t: pc.token_logprobs(x, t), 0, 0),
    "TRL selective_log_softmax": (
        "log-probs",
        lambda x, y, t: trl_selective_log_softmax(x, t),
        0,
        0,
    ),
    "log_softmax+gather": ("log-probs", lambda x, y, t: naive_logprobs(x, t), 0, 0),
    "torch.compile(log_softmax+gather)": (
        "log-probs",
        lambda x, y, t: _compiled(naive_logprobs)(x, t),
        0,
        1,
    ),
    "ptcourse.entropy": ("entropy", lambda x, y, t: pc.entropy(x), 0, 0),
    "TRL entropy_from_logits": ("entropy", lambda x, y, t: trl_entropy_from_logits(x), 0, 0),
    "Categorical.entropy": ("entropy", lambda x, y, t: Cat(logits=x).entropy(), 0, 0),
    "torch.compile(naive entropy)": ("entropy", lambda x, y, t: _compiled(naive_entropy)(x), 0, 1),
    "compiled floor: entropy": (
        "entropy",
        lambda x, y, t: pc.token_stats(x, t, compile=True).entropy,
        0,
        1,
    ),
    "ptcourse.kl_divergence": ("exact KL", lambda x, y, t: pc.kl_divergence(x, y), 0, 0),
    "chunked log_softmax KL": ("exact KL", lambda x, y, t: chunked_kl(x, y), 0, 0),
    "torch.compile(naive KL)": ("exact KL", lambda x, y, t: _compiled(naive_kl)(x, y), 0, 1),
    "distributions.kl_divergence": (
        "exact KL",
        lambda x, y, t: torch.distributions.kl_divergence(Cat(logits=x), Cat(logits=y)),
        0,
        0,
    ),
    "ptcourse.token_stats": ("token_stats", lambda x, y, t: pc.token_stats(x, t, y), 0, 0),
    "naive stats (4 pieces)": ("token_stats", lambda x, y, t: naive_stats(x, y, t), 0, 0),
    "torch.compile(naive stats)": (
        "token_stats",
        lambda x, y, t: _compiled(naive_stats)(x, y, t),
        0,
        1,
    ),
    "compiled floor: token_stats": (
        "token_stats",
        lambda x, y, t: pc.token_stats(x, t, y, compile=True),
        0,
        1,
    ),
    "ptcourse.token_stats fwd+bwd": (
        "fwd+bwd",
        lambda x, y, t: _bwd(_stats(pc.token_stats(x, t, y))),
        1,
        0,
    ),
    "ptcourse.token_logprobs fwd+bwd": (
        "fwd+bwd",
        lambda x, y, t: _bwd(pc.token_logprobs(x, t)),
        1,
        0,
    ),
    "log_softmax+gather fwd+bwd": ("fwd+bwd", lambda x, y, t: _bwd(naive_logprobs(x, t)), 1, 0),
}

if _trl() is not None:  # the installed TRL itself, beside the reimplementation of its source
    CASES["TRL selective_log_softmax (installed)"] = (
        "log-probs", lambda x, y, t: _trl().selective_log_softmax(x, t), 0, 0)  # fmt: skip
    CASES["TRL entropy_from_logits (installed)"] = (
        "entropy", lambda x, y, t: _trl().entropy_from_logits(x), 0, 0)  # fmt: skip

#: (case, reference case, ceiling) from issues 18 and 27 (the opt-in compiled path against the
#: compiler applied to the naive expression).
TARGETS = [
    ("ptcourse.token_logprobs", "F.cross_entropy", 0.6),
    ("ptcourse.entropy", "F.cross_entropy", 1.0),
    ("ptcourse.kl_divergence", "F.cross_entropy", 2.0),
    ("ptcourse.token_stats", "F.cross_entropy", 2.0),
    ("ptcourse.token_stats fwd+bwd", "log_softmax+gather fwd+bwd", 2.0),
    ("compiled floor: entropy", "torch.compile(naive entropy)", 1.0),
    ("compiled floor: token_stats", "torch.compile(naive stats)", 1.0),
]


# ------------------------------------------------------------------ running


def _inputs(n: int, v: int, dtype: torch.dtype, grad: bool = False):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, v, generator=gen, dtype=torch.float32).to(dtype)  # (N, V)
    y = torch.randn(n, v, generator=gen, dtype=torch.float32).to(dtype)  # (N, V), frozen
    t = torch.randint(0, v, (n,), generator=gen)  # (N,)
    if grad:
        x.requires_grad_()
    return x, y, t


def _run(name, x, y, t):
    fn, grad = CASES[name][1], CASES[name][2]
    if grad:
        x.grad = None
        fn(x, y, t)
    else:
        with torch.no_grad():
            fn(x, y, t)


def time_cases(names, n, v, dtype, repeats) -> dict[str, float]:
    plain, with_grad = _inputs(n, v, dtype), _inputs(n, v, dtype, grad=True)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm-up (and compile)
        _run(name, *(with_grad if CASES[name][2] else plain))
    for _ in range(repeats):
        for name in names:
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


# ------------------------------------------------------------------ the machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cache_sizes() -> str:
    """e.g. 'L1d 32K, L2 512K, L3 32768K' (per core for L1/L2 as sysfs reports them for cpu0)."""
    parts = []
    for d in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            kind = (d / "type").read_text().strip()
            if kind == "Instruction":
                continue
            level = (d / "level").read_text().strip()
            size = (d / "size").read_text().strip()
        except OSError:
            continue
        parts.append(f"L{level}{'d' if kind == 'Data' else ''} {size}")
    return ", ".join(parts) or "unknown"


def _trl_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("trl")


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # pragma: no cover - not Linux
        return "unknown"


def table(args, names, times, memory, logits_bytes, load_before, load_after) -> str:
    ce = times["F.cross_entropy"]
    lines = [
        f"### Core benchmark: N={args.n}, V={args.v}, {args.dtype}",
        "",
        f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs; caches (cpu0): {cache_sizes()}",
        f"- torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"median of {args.repeats} interleaved repeats; one logits tensor = "
        f"{logits_bytes / 2**20:.0f} MiB",
        f"- load average (1, 5, 15 min) before: {load_before}; after: {load_after} "
        f"(on {os.cpu_count()} CPUs: above {os.cpu_count()} means other work shared the cores)",
        f"- CPU kernel set: {torch.backends.cpu.get_cpu_capability()} (ATEN_CPU_CAPABILITY="
        f"{os.environ.get('ATEN_CPU_CAPABILITY', 'unset')})",
        f"- TRL peers reimplemented from {TRL_SOURCE}"
        + (f"; installed trl {_trl_version()} run as well" if _trl() is not None else ""),
        "",
        "| quantity | implementation | time (ms) | vs F.cross_entropy | extra peak memory (% of logits) |",
        "|---|---|---:|---:|---:|",
    ]
    for name in names:
        mem = f"{100 * memory[name] / logits_bytes:.1f}%" if name in memory else "n/a"
        lines.append(
            f"| {CASES[name][0]} | {name} | {1e3 * times[name]:.1f} | {times[name] / ce:.2f}x | {mem} |"
        )
    lines += ["", "| target (issues 18, 27) | measured | ceiling | met |", "|---|---:|---:|---|"]
    for name, ref, ceiling in TARGETS:
        if name in times and ref in times:
            r = times[name] / times[ref]
            ok = "yes" if r <= ceiling else "no"
            lines.append(f"| {name} / {ref} | {r:.2f}x | {ceiling:.1f}x | {ok} |")
    lines += [
        "",
        "Forward cases run under no_grad; fwd+bwd cases differentiate the policy logits only "
        "(the reference is frozen) and include the (N, V) gradient itself (>= 100 % memory).",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1024, help="rows (tokens)")
    ap.add_argument("--v", type=int, default=131072, help="vocabulary size")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (0: torch's default)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    ap.add_argument("--no-compile", action="store_true", help="skip the compiled floor")
    ap.add_argument("--memory-case", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--append", action="store_true", help="append to --out instead of replacing")
    ap.add_argument(
        "--targets-only",
        action="store_true",
        help="run only the cases the issue-18 targets compare (no peers, no compiled floor)",
    )
    args = ap.parse_args(argv)
    dtype = getattr(torch, args.dtype)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_case:
        memory_case(args.memory_case, args.n, args.v, dtype)
        return
    names = [k for k, c in CASES.items() if not (args.no_compile and c[3])]
    if args.targets_only:
        wanted = {n for pair in TARGETS for n in pair[:2]}
        names = [k for k in names if k in wanted]
    load_before = load()
    memory = {}
    if not args.no_memory:
        for name in names:
            if not CASES[name][3]:
                memory[name] = measure_memory(name, args.n, args.v, args.dtype)
    times = time_cases(names, args.n, args.v, dtype, args.repeats)
    logits_bytes = args.n * args.v * torch.tensor([], dtype=dtype).element_size()
    md = table(args, names, times, memory, logits_bytes, load_before, load())
    print(md)
    if args.out.exists() and args.append:
        md = args.out.read_text() + "\n" + md
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)


if __name__ == "__main__":
    main()
