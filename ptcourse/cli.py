"""The ``ptcourse`` command line: ``demo``, ``doctor`` and ``notebooks``.

* ``ptcourse demo NAME [--beta B] [--entropy-coef C] [--steps N] [--seed S] [--json]`` runs one of the
  toy world's demos (``ptcourse.toy.DEMOS``): a summary table and a few samples for a live
  audience, or with ``--json`` one JSON object as the last line of stdout (the same dict as
  ``ptcourse.toy.run_demo``).
* ``ptcourse doctor ...`` checks the environment (``ptcourse.course.doctor.main``).
* ``ptcourse notebooks ...`` writes the student notebooks (``ptcourse.course.student.main``).

Everything heavy is imported lazily inside the subcommand, so ``ptcourse --help`` is instant.
``python -m ptcourse`` runs the same ``main``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

__all__ = ["main", "build_parser", "format_summary"]

_DEMOS = ("pretrain", "sft", "rl", "grpo", "bandit")  # mirrors ptcourse.toy.DEMOS (tested)
_ROWS = (
    ("reward", "reward", "{:.3f}"),
    ("kl", "KL to start [nats]", "{:.3f}"),
    ("entropy", "entropy [nats/token]", "{:.3f}"),
    ("distinct_2", "distinct-2", "{:.3f}"),
    ("demo_loglik", "demo log-lik [nats/token]", "{:.3f}"),
    ("grammatical", "grammatical", "{:.0%}"),
    ("hack_rate", "'great great great'", "{:.0%}"),
    ("tv", "TV to pi*", "{:.4f}"),
)


_FRACTIONS = {"grammatical", "hack_rate", "distinct_2"}  # trends drawn on a fixed 0..1 scale


def _nonneg_float(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be a finite number >= 0, got {text!r}")
        return value

    return parse


def _int_at_least(name: str, low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{name} must be >= {low}, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``ptcourse`` command.

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "rl", "--beta", "0", "--json"])
    >>> args.name, args.beta, args.json
    ('rl', 0.0, True)
    """
    parser = argparse.ArgumentParser(
        prog="ptcourse",
        description="Likelihood, KL and entropy: the ptcourse toy world and course tools.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser(
        "demo",
        help="run a toy-world demo (pretrain, sft, rl, grpo, bandit)",
        description="Run a toy-world demo in seconds on a CPU. Demos: pretrain (next-token "
        "pre-training), sft (fine-tune on demonstrations), rl (REINFORCE on a flawed reward "
        "with a KL leash; try --beta 0), grpo (the same with GRPO advantages), bandit (one-step "
        "policy gradient vs the closed-form pi*).",
    )
    demo.add_argument("name", choices=_DEMOS, metavar="NAME", help="one of: " + ", ".join(_DEMOS))
    demo.add_argument(
        "--beta",
        type=_nonneg_float("--beta"),
        default=None,
        help="KL coefficient (rl/grpo: >= 0, default 0.5; bandit: > 0, default 0.3)",
    )
    demo.add_argument(
        "--entropy-coef",
        type=_nonneg_float("--entropy-coef"),
        default=None,
        help="entropy bonus for rl/grpo (default 0)",
    )
    demo.add_argument(
        "--steps",
        type=_int_at_least("--steps", 1),
        default=None,
        help="training steps (default depends on the demo)",
    )
    demo.add_argument("--seed", type=_int_at_least("--seed", 0), default=0, help="seed (default 0)")
    demo.add_argument(
        "--json", action="store_true", help="print one JSON object as the last line of stdout"
    )
    for name, help_ in (
        ("doctor", "check that this environment can run the course"),
        ("notebooks", "write the student notebooks (solutions removed)"),
    ):
        p = sub.add_parser(name, help=help_, add_help=False)
        p.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _spark(values: list, width: int = 24, scale: tuple[float, float] | None = None) -> str:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if len(vals) < 2:
        return ""
    step = max(1, math.ceil(len(vals) / width))
    pts = [sum(vals[i : i + step]) / len(vals[i : i + step]) for i in range(0, len(vals), step)]
    lo, hi = scale or (min(pts), max(pts))
    bars = "▁▂▃▄▅▆▇█"
    try:
        bars.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        bars = "_.-~=*#@"
    if hi - lo < 1e-12:
        return bars[0] * len(pts)
    return "".join(bars[max(0, min(7, int((p - lo) / (hi - lo) * 8)))] for p in pts)


def format_summary(result: dict, seconds: float | None = None) -> str:
    """Format a demo result as a short table (start vs final, trend) plus sample answers.

    Examples
    --------
    >>> r = {"demo": "x", "seed": 0, "params": {"beta": 0.5}, "final": {"reward": 1.0},
    ...      "start": {"reward": 0.5}, "history": {}, "samples": ["a"]}
    >>> print(format_summary(r))  # doctest: +NORMALIZE_WHITESPACE
    ptcourse demo x  (seed 0, beta=0.5)
    <BLANKLINE>
      metric    start    final   trend over training
      reward    0.500    1.000
    <BLANKLINE>
    samples:
      a
    """
    params = ", ".join(f"{k}={v}" for k, v in result["params"].items())
    head = f"ptcourse demo {result['demo']}  (seed {result['seed']}, {params})"
    if seconds is not None:
        head += f"  [{seconds:.1f} s]"
    final, start, hist = result["final"], result.get("start", {}), result.get("history", {})
    rows = [(label, fmt, key) for key, label, fmt in _ROWS if final.get(key) is not None]
    w = max(len("metric"), *(len(label) for label, _, _ in rows))

    def cell(d: dict, key: str, fmt: str) -> str:
        v = d.get(key)
        return fmt.format(v) if v is not None else "-"

    lines = [head, "", f"  {'metric':<{w}}  {'start':>7}  {'final':>7}   trend over training"]
    for label, fmt, key in rows:
        lines.append(
            f"  {label:<{w}}  {cell(start, key, fmt):>7}  {cell(final, key, fmt):>7}   "
            f"{_spark(hist.get(key, []), scale=(0.0, 1.0) if key in _FRACTIONS else None)}".rstrip()
        )
    if result.get("samples"):
        lines += ["", "samples:"] + [f"  {s}" for s in result["samples"]]
    return "\n".join(lines)


def _demo(args: argparse.Namespace) -> int:
    from .toy.demos import run_demo, to_json

    t0 = time.perf_counter()
    try:
        result = run_demo(
            args.name,
            beta=args.beta,
            entropy_coef=args.entropy_coef,
            steps=args.steps,
            seed=args.seed,
        )
    except ValueError as err:
        print(f"ptcourse demo: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(to_json(result))
    else:
        print(format_summary(result, time.perf_counter() - t0))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``ptcourse`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Bad arguments print a usage line and a message naming the argument to stderr and exit with
    status 2 (argparse's convention).

    Examples
    --------
    >>> main(["demo", "bandit", "--steps", "5", "--json"])  # doctest: +ELLIPSIS
    {"demo": "bandit", "seed": 0, ...}
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in ("doctor", "notebooks"):  # pass everything after to the subcommand
        if argv[0] == "doctor":
            from .course.doctor import main as sub_main
        else:
            from .course.student import main as sub_main
        return int(sub_main(argv[1:]) or 0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo(args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse catches it
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
