"""The ``ptcourse`` command line: ``demo``, ``doctor`` and ``notebooks``.

* ``ptcourse demo NAME [--beta B] [--entropy-coef C] [--steps N] [--seed S] [--json]`` runs one of the
  toy world's demos (``ptcourse.toy.DEMOS``): a summary table and a few samples for a live
  audience, or with ``--json`` one JSON object as the last line of stdout (the same dict as
  ``ptcourse.toy.run_demo``).
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
import re
import sys
import time

__all__ = ["main", "build_parser", "format_summary"]

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
        "name", choices=list(DEMOS), metavar="NAME", help="one of: " + ", ".join(DEMOS)
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
    from .toy.metrics import METRICS

    params = ", ".join(f"{k}={v}" for k, v in result["params"].items())
    head = f"ptcourse demo {result['demo']}  (seed {result['seed']}, {params})"
    if seconds is not None:
        head += f"  [{seconds:.1f} s]"
    final, start, hist = result["final"], result.get("start", {}), result.get("history", {})
    rows = [(m.label, m.fmt, key) for key, m in METRICS.items() if final.get(key) is not None]
    w = max(len("metric"), *(len(label) for label, _, _ in rows))

    def cell(d: dict, key: str, fmt: str) -> str:
        v = d.get(key)
        return fmt.format(v) if v is not None else "-"

    lines = [head, "", f"  {'metric':<{w}}  {'start':>7}  {'final':>7}   trend over training"]
    for label, fmt, key in rows:
        lines.append(
            f"  {label:<{w}}  {cell(start, key, fmt):>7}  {cell(final, key, fmt):>7}   "
            f"{_spark(hist.get(key, []), scale=(0.0, 1.0) if METRICS[key].fraction else None)}".rstrip()
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
        print(f"ptcourse demo: error: {_for_the_user(str(err))}", file=sys.stderr)
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
