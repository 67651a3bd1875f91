"""The ``ptcourse`` command line (also ``python -m ptcourse``): ``demo`` and ``doctor``.

* ``ptcourse demo NAME [--beta B] [--entropy-coef C] [--steps N] [--seed S] [--json]`` runs a demo
  of ``ptcourse.toy.DEMOS``: a table and samples, or (``--json``) ``run_demo``'s dict as the only
  JSON on stdout; progress goes to stderr (``--quiet``: none). ``--compare-beta B2`` also runs beta
  B2, in one table whose trends share a scale per metric.
* ``ptcourse demo --warm [--seed N]`` caches seed N's checkpoints (seed 0's ship) in
  ``$PTCOURSE_TOY_CACHE``, else ``default_cache_dir()``, which ``ptcourse demo`` reads when it
  exists and the variable is unset.
* ``ptcourse doctor ...`` is handed to ``ptcourse.course.doctor.main`` unparsed.

Names, defaults and step caps come from ``ptcourse.toy.demos`` (so ``--help`` imports torch).
Errors name the options typed (``--beta``), never the library's names. The student notebooks are
made by ``press/render_notebooks.py``.
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
_OPTION_OF = {"beta": "--beta", "entropy_coef": "--entropy-coef", "steps": "--steps",
              "seed": "--seed", "name": "NAME"}  # fmt: skip


def _typed(convert: type, option: str):
    """An argparse type converting to float or int (``run_demo`` checks the range)."""
    what = "a number" if convert is float else "an integer"

    def parse(text: str):
        try:
            return convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be {what}, got {text!r}") from None

    return parse


def _for_the_user(message: str) -> str:
    """A library error in the command line's words: ``run_demo: 'steps' ...`` -> ``--steps ...``.

    >>> _for_the_user("run_demo: 'steps' must be a positive int, got 0")
    '--steps must be a positive int, got 0'
    """
    message = re.sub(r"^(?:\w+: )+", "", message)  # the function names: run_demo:, rl:, bandit:
    for name, option in _OPTION_OF.items():
        message = message.replace(f"'{name}'", option)
    return message


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ptcourse`` command.

    >>> args = build_parser().parse_args(["demo", "rl", "--beta", "0", "--json"])
    >>> args.name, args.beta, args.json
    ('rl', 0.0, True)
    """
    from .toy.demos import DEMOS, MAX_STEPS, demo_defaults
    from .toy.policy_gradient import MAX_BETA, MAX_ENTROPY_COEF

    d = {name: demo_defaults(name) for name in DEMOS}
    caps = ", ".join(f"{n} {d[n]['steps']}/{MAX_STEPS[n]}" for n in DEMOS)
    parser = argparse.ArgumentParser(
        prog="ptcourse",
        description="Likelihood, KL and entropy: the ptcourse toy world and course tools.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = sub.add_parser(
        "demo",
        help=f"run a toy-world demo ({', '.join(DEMOS)})",
        description="Run a toy-world demo in seconds on a CPU. Demos: "
        + "; ".join(f"{name}: {text}" for name, text in DEMOS.items())
        + ".",
    )
    demo.add_argument("name", nargs="?", choices=list(DEMOS), metavar="NAME",
                      help="one of: " + ", ".join(DEMOS))  # fmt: skip
    options = [  # (option, float, int or a flag's action, help, more add_argument keywords)
        ("--warm", "store_true", "train and cache the checkpoints every demo and chapter uses, "
         "then exit (run it before a workshop; the cache is $PTCOURSE_TOY_CACHE, else "
         "~/.cache/ptcourse/toy)", {}),
        ("--compare-beta", float, "rl/grpo/bandit: also run with beta B2 and show both runs on "
         "shared scales", {"metavar": "B2"}),
        ("--quiet", "store_true", "no progress lines on stderr while training", {}),
        ("--beta", float, f"KL coefficient (rl/grpo: 0 to {MAX_BETA:g}, default "
         f"{d['rl']['beta']}; bandit: above 0, default {d['bandit']['beta']})", {}),
        ("--entropy-coef", float, f"entropy bonus for rl/grpo: 0 to {MAX_ENTROPY_COEF:g} "
         "(default 0)", {}),
        ("--steps", int, f"training steps, default/maximum per demo: {caps}", {}),
        ("--seed", int, "seed, 0 to 2**63 - 1 (default 0)", {"default": 0}),
        ("--json", "store_true", "print one JSON object and nothing else on stdout (with "
         "--compare-beta: a list)", {}),
    ]  # fmt: skip
    for option, kind, text, more in options:
        how = {"action": kind} if isinstance(kind, str) else {"type": _typed(kind, option)}
        demo.add_argument(option, help=text, **how, **more)
    doctor = sub.add_parser("doctor", help="check that this environment can run the course",
                            add_help=False)  # fmt: skip
    doctor.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def default_cache_dir() -> Path:
    """The cache ``ptcourse demo --warm`` fills when ``PTCOURSE_TOY_CACHE`` is unset.

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


def _error(message: str) -> int:
    print(f"ptcourse demo: error: {message}", file=sys.stderr)
    return 2


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
        message = _for_the_user(str(err))
        return _error(message.replace("'seeds' must be ints", "--seed must be an int"))
    print(f"warmed {', '.join(done)} in {time.perf_counter() - t0:.1f} s\ncache: {where}")
    print("`ptcourse demo` reads it from there; for the notebooks, start Jupyter with")
    print(f"  PTCOURSE_TOY_CACHE={where}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .toy.demo_report import ProgressPrinter, format_comparison, format_summary
    from .toy.demos import demo_defaults, run_demo, to_json

    if args.warm:
        if args.name or args.compare_beta is not None:
            return _error("--warm takes no NAME and no --compare-beta")
        return _warm(args)
    if args.name is None:
        return _error("give a demo NAME or --warm")
    if args.compare_beta is not None and args.name in ("pretrain", "sft"):
        return _error(f"--compare-beta applies to rl/grpo/bandit, not {args.name}")
    _use_default_cache()
    betas = [args.beta] if args.compare_beta is None else [args.beta, args.compare_beta]
    t0 = time.perf_counter()
    results = []
    try:
        for beta in betas:
            shown = demo_defaults(args.name).get("beta") if beta is None else beta
            tag = "" if len(betas) == 1 else f"beta {shown}"
            progress = None if args.quiet else ProgressPrinter(tag=tag)
            results.append(run_demo(args.name, beta=beta, entropy_coef=args.entropy_coef,
                                    steps=args.steps, seed=args.seed, progress=progress))  # fmt: skip
    except ValueError as err:
        message = _for_the_user(str(err))
        if len(results) == 1:  # the second run's beta is --compare-beta's
            message = message.replace("--beta", "--compare-beta")
        return _error(message)
    seconds = time.perf_counter() - t0
    if args.json:
        texts = [to_json(r) for r in results]
        print(texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]")
    elif len(results) == 1:
        print(format_summary(results[0], seconds))
    else:
        print(format_comparison(results, seconds))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``ptcourse`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Bad arguments print usage and a message naming the argument to stderr, and exit 2 (argparse's
    convention).

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
    if args.command != "demo":  # pragma: no cover - only `ptcourse -- doctor` gets here
        parser.error(f"unknown command {args.command!r}")
    return _demo(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
