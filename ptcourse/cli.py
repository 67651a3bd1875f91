"""The ``ptcourse`` command line: ``demo``, ``doctor`` and ``notebooks``.

* ``ptcourse demo NAME [--beta B] [--entropy-coef C] [--steps N] [--seed S] [--json]`` runs one of the
  toy world's demos (``ptcourse.toy.DEMOS``): a summary table and a few samples for a live
  audience, or with ``--json`` one JSON object, the only thing on stdout (the same dict as
  ``ptcourse.toy.run_demo``). While it trains, a progress line every few steps goes to stderr
  (step, reward, KL, entropy for the RL demos; ``--quiet`` turns it off).
  ``--compare-beta B2`` runs the demo twice (``--beta`` and ``B2``) and prints one table whose
  trends share a scale per metric.
* ``ptcourse demo --warm`` trains and caches the checkpoints every demo and chapter uses (before a
  workshop), in ``$PTCOURSE_TOY_CACHE`` or else ``~/.cache/ptcourse/toy`` (``$XDG_CACHE_HOME``
  respected); ``ptcourse demo`` reads that default directory when it exists and the variable is
  unset.
* ``ptcourse doctor ...`` checks the environment (``ptcourse.course.doctor.main``).
* ``ptcourse notebooks ...`` writes the student notebooks (``ptcourse.course.student.main``).

The demo names, their defaults and their step caps are read from ``ptcourse.toy.demos`` (their one
home), so ``ptcourse demo --help`` imports torch (about 2 s on a laptop; ``import ptcourse`` does it
anyway). ``doctor`` and ``notebooks`` are dispatched before the parser is built. Errors name the
options the user typed (``--beta``, ``--steps``), never the library's internal names.
``python -m ptcourse`` runs the same ``main``.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import textwrap
import time
from pathlib import Path

__all__ = ["main", "build_parser", "format_summary", "format_comparison", "default_cache_dir"]

#: the widest line the tables and the progress lines print (a default terminal)
COLUMNS = 80

#: library argument name -> the command-line option a user types
_OPTION_OF = {
    "beta": "--beta",
    "entropy_coef": "--entropy-coef",
    "steps": "--steps",
    "seed": "--seed",
    "name": "NAME",
}


def _number(option: str):
    """An argparse type: a float (its range is checked once, by the function that uses it)."""

    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be a number, got {text!r}") from None

    return parse


def _integer(option: str):
    """An argparse type: an int (its range is checked once, by ``run_demo``)."""

    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be an integer, got {text!r}") from None

    return parse


def _for_the_user(message: str) -> str:
    """Rewrite a library error in the command line's words: ``rl: 'beta' ...`` -> ``--beta ...``.

    Examples
    --------
    >>> _for_the_user("run_demo: 'steps' must be a positive int, got 0")
    '--steps must be a positive int, got 0'
    """
    message = re.sub(r"^(?:\w+: )+", "", message)  # the function names: run_demo:, rl:, bandit:
    for name, option in _OPTION_OF.items():
        message = message.replace(f"'{name}'", option)
    return message


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``ptcourse`` command.

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "rl", "--beta", "0", "--json"])
    >>> args.name, args.beta, args.json
    ('rl', 0.0, True)
    """
    from .toy.demos import DEMOS, MAX_STEPS, demo_defaults
    from .toy.policy_gradient import MAX_BETA

    defaults = {name: demo_defaults(name) for name in DEMOS}
    parser = argparse.ArgumentParser(
        prog="ptcourse",
        description="Likelihood, KL and entropy: the ptcourse toy world and course tools.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser(
        "demo",
        help=f"run a toy-world demo ({', '.join(DEMOS)})",
        description="Run a toy-world demo in seconds on a CPU. Demos: "
        + "; ".join(f"{name}: {text}" for name, text in DEMOS.items())
        + ".",
    )
    demo.add_argument(
        "name",
        nargs="?",
        choices=list(DEMOS),
        metavar="NAME",
        help="one of: " + ", ".join(DEMOS),
    )
    demo.add_argument(
        "--warm",
        action="store_true",
        help="train and cache the checkpoints every demo and chapter uses, then exit (run it "
        "before a workshop; the cache is $PTCOURSE_TOY_CACHE, else ~/.cache/ptcourse/toy)",
    )
    demo.add_argument(
        "--compare-beta",
        type=_number("--compare-beta"),
        default=None,
        metavar="B2",
        help="rl/grpo/bandit: also run with beta B2 and show both runs on shared scales",
    )
    demo.add_argument(
        "--quiet", action="store_true", help="no progress lines on stderr while training"
    )
    demo.add_argument(
        "--beta",
        type=_number("--beta"),
        default=None,
        help=f"KL coefficient (rl/grpo: 0 to {MAX_BETA:g}, default {defaults['rl']['beta']}; "
        f"bandit: above 0, default {defaults['bandit']['beta']})",
    )
    demo.add_argument(
        "--entropy-coef",
        type=_number("--entropy-coef"),
        default=None,
        help="entropy bonus for rl/grpo (default 0)",
    )
    caps = ", ".join(f"{n} {defaults[n]['steps']}/{MAX_STEPS[n]}" for n in DEMOS)
    demo.add_argument(
        "--steps",
        type=_integer("--steps"),
        default=None,
        help=f"training steps, default/maximum per demo: {caps}",
    )
    demo.add_argument("--seed", type=_integer("--seed"), default=0, help="seed (default 0)")
    demo.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object and nothing else on stdout (with --compare-beta: a list)",
    )
    for name, help_ in (
        ("doctor", "check that this environment can run the course"),
        ("notebooks", "write the student notebooks (solutions removed)"),
    ):
        p = sub.add_parser(name, help=help_, add_help=False)
        p.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def default_cache_dir() -> Path:
    """The checkpoint cache ``ptcourse demo --warm`` fills when ``PTCOURSE_TOY_CACHE`` is unset.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"XDG_CACHE_HOME": "/tmp/xdg"}):
    ...     default_cache_dir().as_posix()
    '/tmp/xdg/ptcourse/toy'
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ptcourse" / "toy"


def _bars() -> str:
    bars = "▁▂▃▄▅▆▇█"
    try:
        bars.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        bars = "_.-~=*#@"
    return bars


def _series(start, history: list, final, width: int) -> list[float]:
    """The trend of one metric: ``start``, the history averaged into buckets, then ``final``.

    It begins at the "start" column's value and ends at the "final" column's, so the picture and
    the numbers agree; ``None`` and non-finite values are dropped.

    Examples
    --------
    >>> _series(0.0, [0.1, 0.2, 0.3, 0.4], 1.0, width=4)
    [0.0, 0.15000000000000002, 0.35, 1.0]
    """
    vals = [v for v in history if v is not None and math.isfinite(v)]
    inner = max(width - 2, 1)
    step = max(1, math.ceil(len(vals) / inner))
    mid = [sum(vals[i : i + step]) / len(vals[i : i + step]) for i in range(0, len(vals), step)]
    ends = [v if v is not None and math.isfinite(v) else None for v in (start, final)]
    return [v for v in (ends[0], *mid, ends[1]) if v is not None]


def _spark(points: list[float], scale: tuple[float, float]) -> str:
    """One bar per point on the scale ``(lo, hi)`` (the lowest bar at or below ``lo``).

    Examples
    --------
    >>> _spark([0.0, 0.5, 1.0], (0.0, 1.0)) in ("▁▅█", "_=@")
    True
    """
    if len(points) < 2:
        return ""
    bars = _bars()
    lo, hi = scale
    if hi - lo < 1e-12:
        return bars[0] * len(points)
    return "".join(bars[max(0, min(7, int((p - lo) / (hi - lo) * 8)))] for p in points)


def _scale(key: str, series: list[list[float]]) -> tuple[float, float]:
    """0..1 for a fraction, else the range of every series given (shared by the runs compared)."""
    from .toy.metrics import METRICS

    if METRICS[key].fraction:
        return (0.0, 1.0)
    flat = [v for pts in series for v in pts]
    return (min(flat), max(flat)) if flat else (0.0, 1.0)


def _header(result: dict, seconds: float | None) -> list[str]:
    """The title line and the settings, wrapped to ``COLUMNS``."""
    head = f"ptcourse demo {result['demo']}"
    if seconds is not None:
        head += f"  [{seconds:.1f} s]"
    params = ", ".join(f"{k} {v}" for k, v in result["params"].items())
    return [head, *textwrap.wrap(f"seed {result['seed']}, {params}", COLUMNS - 2,
                                 initial_indent="  ", subsequent_indent="  ")]  # fmt: skip


SPARK_WIDTH = 16
_NOTE = "trend: start -> final; fractions on 0..1, other rows on their own range"


def format_summary(result: dict, seconds: float | None = None) -> str:
    """Format a demo result as a short table (start vs final, trend) plus sample answers.

    Every line fits in ``COLUMNS`` (80) characters. The trend starts at the "start" value and ends
    at the "final" one; fractions are drawn on a fixed 0..1 scale.

    Examples
    --------
    >>> r = {"demo": "x", "seed": 0, "params": {"beta": 0.5}, "final": {"reward": 1.0},
    ...      "start": {"reward": 0.5}, "history": {}, "samples": ["a"]}
    >>> print(format_summary(r))  # doctest: +NORMALIZE_WHITESPACE
    ptcourse demo x
      seed 0, beta 0.5
    <BLANKLINE>
      metric    start    final   trend
      reward    0.500    1.000
    <BLANKLINE>
    samples:
      a
    """
    from .toy.metrics import METRICS

    final, start, hist = result["final"], result.get("start", {}), result.get("history", {})
    rows = [(m.label, m.fmt, key) for key, m in METRICS.items() if final.get(key) is not None]
    w = max(len("metric"), *(len(label) for label, _, _ in rows))

    def cell(d: dict, key: str, fmt: str) -> str:
        v = d.get(key)
        return fmt.format(v) if v is not None else "-"

    lines = [
        *_header(result, seconds),
        "",
        f"  {'metric':<{w}}  {'start':>7}  {'final':>7}   trend",
    ]
    drawn = False
    for label, fmt, key in rows:
        pts = _series(start.get(key), hist.get(key, []), final.get(key), SPARK_WIDTH)
        spark = _spark(pts, _scale(key, [pts])) if hist.get(key) else ""
        drawn = drawn or bool(spark)
        lines.append(
            f"  {label:<{w}}  {cell(start, key, fmt):>7}  {cell(final, key, fmt):>7}   "
            f"{spark}".rstrip()
        )
    if drawn:
        lines += ["", f"  {_NOTE}"]
    if result.get("samples"):
        lines += ["", "samples:"] + [f"  {s}" for s in result["samples"]]
    return "\n".join(lines)


def format_comparison(results: list[dict], seconds: float | None = None) -> str:
    """Format two (or more) runs of one demo: per metric, one line per run, trends on one scale.

    The runs differ in ``beta``; each row's trend starts at its start value and ends at its final
    value, and the trends of one metric share their scale, so their heights compare.

    Examples
    --------
    >>> a = {"demo": "x", "seed": 0, "params": {"beta": 0.5}, "final": {"kl": 1.0},
    ...      "start": {"kl": 0.0}, "history": {"kl": [0.0, 1.0]}, "samples": []}
    >>> b = {**a, "params": {"beta": 0.0}, "final": {"kl": 4.0}, "history": {"kl": [0.0, 4.0]}}
    >>> text = format_comparison([a, b])
    >>> rows = [line.split()[-1] for line in text.splitlines() if line.startswith("    beta")]
    >>> [[_bars().index(c) for c in row] for row in rows]  # bar heights 0..7 on one scale 0..4
    [[0, 0, 2, 2], [0, 0, 7, 7]]
    """
    from .toy.metrics import METRICS

    first = results[0]
    tags = [f"beta {r['params'].get('beta')}" for r in results]
    fixed = {k: v for k, v in first["params"].items() if k != "beta"}
    head = f"ptcourse demo {first['demo']}: {' vs '.join(tags)}"
    if seconds is not None:
        head += f"  [{seconds:.1f} s]"
    settings = ", ".join([f"seed {first['seed']}", *(f"{k} {v}" for k, v in fixed.items())])
    lines = [head, *textwrap.wrap(settings, COLUMNS - 2, initial_indent="  ",
                                  subsequent_indent="  "), ""]  # fmt: skip
    keys = [k for k in METRICS if any(r["final"].get(k) is not None for r in results)]
    w = max(len("metric"), *(len(METRICS[k].label) for k in keys))
    lines.append(f"  {'metric':<{w}}  {'start':>7}  {'final':>7}   trend (shared scale)")
    for key in keys:
        m = METRICS[key]
        pts = [
            _series(
                r["start"].get(key), r["history"].get(key, []), r["final"].get(key), SPARK_WIDTH
            )  # fmt: skip
            for r in results
        ]
        scale = _scale(key, pts)
        lines.append(f"  {m.label}")
        for r, tag, p in zip(results, tags, pts, strict=True):
            vals = [r[col].get(key) for col in ("start", "final")]
            s0, s1 = (m.fmt.format(v) if v is not None else "-" for v in vals)
            spark = _spark(p, scale) if r["history"].get(key) else ""
            lines.append(f"    {tag:<{w - 2}}  {s0:>7}  {s1:>7}   {spark}".rstrip())
    for r, tag in zip(results, tags, strict=True):
        if r.get("samples"):
            lines += ["", f"samples, {tag}:"] + [f"  {s}" for s in r["samples"][:3]]
    return "\n".join(lines)


class ProgressPrinter:
    """Print training progress as plain lines on ``stream``: about ``lines`` per phase.

    A line: the phase, the step out of the total, (RL demos) reward, KL (nats per answer), entropy
    (nats per token) and hack rate of that step's batch, then the elapsed time; a phase's first
    line says the units. ``ptcourse demo`` passes one to ``run_demo(progress=...)``.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> p = ProgressPrinter(out, lines=2, clock=lambda: 0.0)
    >>> for k in (1, 2, 3, 4):
    ...     p({"phase": "rl", "step": k, "steps": 4, "reward": 0.5, "kl": 1.0, "entropy": 2.0,
    ...        "hack_rate": 0.25})
    >>> print(out.getvalue(), end="")
    training rl (KL in nats per answer, entropy in nats per token):
    rl 2/4  reward 0.500  KL 1.00  entropy 2.00  hack rate 25%  [0.0 s]
    rl 4/4  reward 0.500  KL 1.00  entropy 2.00  hack rate 25%  [0.0 s]
    """

    def __init__(self, stream=None, lines: int = 10, clock=time.perf_counter):
        self.stream = sys.stderr if stream is None else stream
        self.lines = lines
        self.clock = clock
        self.t0 = clock()
        self.phases: set[str] = set()

    def __call__(self, event: dict) -> None:
        step, steps, phase = event["step"], event.get("steps"), event["phase"]
        every = max(1, steps // self.lines) if steps else 100
        if step % every and step != steps:
            return
        if phase not in self.phases:
            self.phases.add(phase)
            what = "training the checkpoints (cached for next time)" if phase == "checkpoints" \
                else f"training {phase}"  # fmt: skip
            units = " (KL in nats per answer, entropy in nats per token)" if "kl" in event else ""
            print(f"{what}{units}:", file=self.stream, flush=True)
        parts = [f"{phase} {step}/{steps}" if steps else f"{phase} step {step}"]
        for key, text in (("reward", "reward {:.3f}"), ("kl", "KL {:.2f}"),
                          ("entropy", "entropy {:.2f}"), ("hack_rate", "hack rate {:.0%}")):  # fmt: skip
            if event.get(key) is not None:
                parts.append(text.format(event[key]))
        parts.append(f"[{self.clock() - self.t0:.1f} s]")
        print("  ".join(parts), file=self.stream, flush=True)


def _use_default_cache() -> None:
    """Point ``PTCOURSE_TOY_CACHE`` at the default cache when unset and that directory exists."""
    if not os.environ.get("PTCOURSE_TOY_CACHE") and default_cache_dir().is_dir():
        os.environ["PTCOURSE_TOY_CACHE"] = str(default_cache_dir())


def _warm(args: argparse.Namespace) -> int:
    from .toy.demos import warm_checkpoints

    where = os.environ.get("PTCOURSE_TOY_CACHE") or str(default_cache_dir())
    os.environ["PTCOURSE_TOY_CACHE"] = where
    Path(where).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    done = warm_checkpoints([args.seed], progress=None if args.quiet else ProgressPrinter())
    seconds = time.perf_counter() - t0
    print(f"warmed {', '.join(done)} in {seconds:.1f} s")
    print(f"cache: {where}")
    print("`ptcourse demo` reads it from there; for the notebooks, start Jupyter with")
    print(f"  PTCOURSE_TOY_CACHE={where}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .toy.demos import run_demo, to_json

    if args.warm:
        if args.name or args.compare_beta is not None:
            print("ptcourse demo: error: --warm takes no NAME and no --compare-beta",
                  file=sys.stderr)  # fmt: skip
            return 2
        return _warm(args)
    if args.name is None:
        print("ptcourse demo: error: give a demo NAME or --warm", file=sys.stderr)
        return 2
    if args.compare_beta is not None and args.name in ("pretrain", "sft"):
        print(f"ptcourse demo: error: --compare-beta applies to rl/grpo/bandit, not {args.name}",
              file=sys.stderr)  # fmt: skip
        return 2
    _use_default_cache()
    progress = None if args.quiet else ProgressPrinter()
    betas = [args.beta] if args.compare_beta is None else [args.beta, args.compare_beta]
    t0 = time.perf_counter()
    results = []
    try:
        for beta in betas:
            results.append(
                run_demo(
                    args.name,
                    beta=beta,
                    entropy_coef=args.entropy_coef,
                    steps=args.steps,
                    seed=args.seed,
                    progress=progress,
                )
            )
    except ValueError as err:
        message = _for_the_user(str(err))
        if len(results) == 1:  # the second run's beta is --compare-beta's
            message = message.replace("--beta", "--compare-beta")
        print(f"ptcourse demo: error: {message}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    if args.json:
        if len(results) == 1:
            print(to_json(results[0]))
        else:
            print("[" + ", ".join(to_json(r) for r in results) + "]")
    elif len(results) == 1:
        print(format_summary(results[0], seconds))
    else:
        print(format_comparison(results, seconds))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``ptcourse`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Bad arguments print a usage line and a message naming the argument to stderr and exit with
    status 2 (argparse's convention).

    Examples
    --------
    >>> main(["demo", "bandit", "--steps", "5", "--json", "--quiet"])  # doctest: +ELLIPSIS
    {"demo": "bandit", "seed": 0, ...}
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("doctor", "notebooks"):  # pass everything after to the subcommand
        if argv[0] == "doctor":
            from .course.doctor import main as sub_main
        else:
            from .course.student import main as sub_main
        return int(sub_main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo(args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse catches it
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
