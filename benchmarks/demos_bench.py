"""Wall time of each toy-world demo (``ptcourse demo NAME``), median of repeats.

Usage: ``python benchmarks/demos_bench.py [--repeats 3] [--out benchmarks/results/demos.md]``

Each demo is timed in a fresh process (``python -m ptcourse demo NAME --json``) so that the cold
cost -- import, pre-training and SFT of the checkpoints, which later calls in one process reuse --
is included, as a learner running one demo would see it. The in-process warm time of the RL
demos (checkpoints cached) is reported too. The issue's budget is 20 s per demo on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEMOS = [
    ("pretrain", []),
    ("sft", []),
    ("rl", []),
    ("rl", ["--beta", "0"]),
    ("rl", ["--beta", "0", "--entropy-coef", "0.3"]),
    ("grpo", []),
    ("bandit", []),
]


def _cold(name: str, extra: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "ptcourse", "demo", name, *extra, "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"ptcourse demo {name} {extra} failed:\n{proc.stderr}")
        times.append(time.perf_counter() - t0)
    return times


def _warm(name: str, extra: list[str], repeats: int) -> list[float]:
    from ptcourse.toy import run_demo, sft_model

    sft_model()  # train and cache the checkpoints first
    kwargs = {}
    if "--beta" in extra:
        kwargs["beta"] = float(extra[extra.index("--beta") + 1])
    if "--entropy-coef" in extra:
        kwargs["entropy_coef"] = float(extra[extra.index("--entropy-coef") + 1])
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run_demo(name, **kwargs)
        times.append(time.perf_counter() - t0)
    return times


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every OS
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "demos.md"))
    args = parser.parse_args()
    load0 = _load()
    rows = []
    for name, extra in DEMOS:
        cold = _cold(name, extra, args.repeats)
        warm = _warm(name, extra, args.repeats)
        label = " ".join(["ptcourse demo", name, *extra])
        rows.append((label, statistics.median(cold), min(cold), statistics.median(warm)))
        print(f"{label:<55} cold {rows[-1][1]:6.2f} s   warm {rows[-1][3]:6.2f} s", flush=True)
    import torch

    lines = [
        "# Toy-world demo timings",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs, Python "
        f"{platform.python_version()}, torch {torch.__version__}. Median of {args.repeats} runs. "
        "Cold = a fresh `python -m ptcourse demo ... --json` process (includes import and "
        "training the pretrained/SFT checkpoints); warm = `ptcourse.toy.run_demo` in a process "
        "whose checkpoints are already cached. Budget: 20 s per demo on 2 cores. "
        f"Load average before/after the run: {load0} / {_load()} (other work on the machine "
        "inflates the cold numbers).",
        "",
        "| demo | cold median [s] | cold min [s] | warm median [s] |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| `{label}` | {c:.2f} | {m:.2f} | {w:.2f} |" for label, c, m, w in rows]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
