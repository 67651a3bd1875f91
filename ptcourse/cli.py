"""The ``ptcourse`` command line: ``demo`` and ``doctor``.

* ``ptcourse demo NAME [--beta B] [--entropy-coef C] [--steps N] [--seed S] [--json]`` runs one of the
  toy world's demos (``ptcourse.toy.DEMOS``): a summary table and a few samples for a live
  audience, or with ``--json`` one JSON object, the only thing on stdout (the same dict as
  ``ptcourse.toy.run_demo``). While it trains, a progress line every few steps goes to stderr
  (step, reward, KL, entropy for the RL demos; ``--quiet`` turns it off).
  ``--compare-beta B2`` runs the demo twice (``--beta`` and ``B2``) and prints one table whose
  trends share a scale per metric.
* ``ptcourse demo --warm [--seed N]`` trains and caches the checkpoints of seed N (seed 0's, which
  every demo and chapter uses, ship with the package), in ``$PTCOURSE_TOY_CACHE`` or else ``~/.cache/ptcourse/toy`` (``$XDG_CACHE_HOME``
  respected); ``ptcourse demo`` reads that default directory when it exists and the variable is
  unset.
* ``ptcourse doctor ...`` checks the environment (``ptcourse.course.doctor.main``).

The student notebooks are not made here: the press renders them from the chapters
(``press/render_notebooks.py``), and the offline bundles carry them.

The demo names, their defaults and their step caps are read from ``ptcourse.toy.demos`` (their one
home), so ``ptcourse demo --help`` imports torch (about 2 s on a laptop; ``import ptcourse`` does it
anyway). ``doctor`` is dispatched before the parser is built. Errors name the
options the user typed (``--beta``, ``--steps``), never the library's internal names.
``python -m ptcourse`` runs the same ``main``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser", "default_cache_dir"]

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
    from .toy.policy_gradient import MAX_BETA, MAX_ENTROPY_COEF

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
        help=f"entropy bonus for rl/grpo: 0 to {MAX_ENTROPY_COEF:g} (default 0)",
    )
    caps = ", ".join(f"{n} {defaults[n]['steps']}/{MAX_STEPS[n]}" for n in DEMOS)
    demo.add_argument(
        "--steps",
        type=_integer("--steps"),
        default=None,
        help=f"training steps, default/maximum per demo: {caps}",
    )
    demo.add_argument(
        "--seed", type=_integer("--seed"), default=0, help="seed, 0 to 2**63 - 1 (default 0)"
    )
    demo.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object and nothing else on stdout (with --compare-beta: a list)",
    )
    p = sub.add_parser(
        "doctor", help="check that this environment can run the course", add_help=False
    )
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


def _use_default_cache() -> None:
    """Point ``PTCOURSE_TOY_CACHE`` at the default cache when unset and that directory exists."""
    if not os.environ.get("PTCOURSE_TOY_CACHE") and default_cache_dir().is_dir():
        os.environ["PTCOURSE_TOY_CACHE"] = str(default_cache_dir())


def _warm(args: argparse.Namespace) -> int:
    from .toy.demo_report import ProgressPrinter
    from .toy.demos import warm_checkpoints

    where = os.environ.get("PTCOURSE_TOY_CACHE") or str(default_cache_dir())
    os.environ["PTCOURSE_TOY_CACHE"] = where
    Path(where).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        done = warm_checkpoints([args.seed], progress=None if args.quiet else ProgressPrinter())
    except ValueError as err:
        message = _for_the_user(str(err)).replace("'seeds' must be ints", "--seed must be an int")
        print(f"ptcourse demo: error: {message}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    print(f"warmed {', '.join(done)} in {seconds:.1f} s")
    print(f"cache: {where}")
    print("`ptcourse demo` reads it from there; for the notebooks, start Jupyter with")
    print(f"  PTCOURSE_TOY_CACHE={where}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .toy.demo_report import ProgressPrinter, format_comparison, format_summary
    from .toy.demos import demo_defaults, run_demo, to_json

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
    betas = [args.beta] if args.compare_beta is None else [args.beta, args.compare_beta]
    t0 = time.perf_counter()
    results = []
    try:
        for beta in betas:
            shown = demo_defaults(args.name).get("beta") if beta is None else beta
            tag = "" if len(betas) == 1 else f"beta {shown}"
            results.append(
                run_demo(
                    args.name,
                    beta=beta,
                    entropy_coef=args.entropy_coef,
                    steps=args.steps,
                    seed=args.seed,
                    progress=None if args.quiet else ProgressPrinter(tag=tag),
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
    if argv and argv[0] == "doctor":  # pass everything after to the subcommand
        from .course.doctor import main as sub_main

        return int(sub_main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo(args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse catches it
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
