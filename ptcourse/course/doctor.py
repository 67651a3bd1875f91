"""``ptcourse doctor``: is this machine ready for the course? The first command of every workshop.

It prints the Python, torch and ptcourse versions, torch's device (cuda, mps or cpu), whether
ipywidgets (the dials) and matplotlib (the pictures) import and where widgets render (here, in a
Jupyter/Colab kernel, or only in a notebook), whether ``ptcourse.check`` imports, and a self-test
of every exercise checker on ptcourse's own reference functions. The last line says OK or names the
problems; the exit code is 0 when everything needed works.

>>> from ptcourse import doctor
>>> doctor.device_name() in {"cpu", "mps"} or doctor.device_name().startswith("cuda")  # any device
True
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import platform
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ptcourse.course.check import CheckResult

__all__ = ["device_name", "in_kernel", "main", "self_test"]


def device_name() -> str:
    """The device the chapters would use: ``cuda (NAME)``, ``mps`` or ``cpu``."""
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def in_kernel() -> bool:
    """True inside a Jupyter or Colab kernel (where widgets can render), False in a terminal."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def self_test(checkers: dict[str, Callable] | None = None) -> dict[str, CheckResult]:
    """Run each checker on ptcourse's own function: name -> its :class:`~ptcourse.check.CheckResult`
    ("failed", with the reason, for a checker that rejects the reference or crashes)."""
    import ptcourse
    from ptcourse import check

    results: dict[str, CheckResult] = {}
    for name, checker in (checkers or check.CHECKERS).items():
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                results[name] = checker(getattr(ptcourse, name))
        except check.CheckFailed as err:
            results[name] = err.result
        except Exception as err:  # a broken checker is reported like a failing one
            message = f"{type(err).__name__}: {err}"
            results[name] = check.CheckResult(name, "failed", message=message)
    return results


def main(argv: list[str] | None = None) -> int:
    """Print the report; return 0 when the machine is ready, 1 when something needed is missing."""
    parser = argparse.ArgumentParser(
        prog="ptcourse doctor", description="Check that this machine is ready for the course."
    )
    parser.parse_args(argv)
    problems: list[str] = []

    def line(label: str, value: str) -> None:
        print(f"{label:<12} {value}")

    def imports(name: str, show: Callable, problem: str) -> bool:
        """Import ``name`` and ``show`` it; else print NOT IMPORTABLE and note the ``problem``."""
        try:
            show(importlib.import_module(name))
            return True
        except Exception as err:
            line(name, f"NOT IMPORTABLE ({err})")
            problems.append(problem)
            return False

    def widgets(m) -> None:
        where = (
            "here (in a kernel)"
            if in_kernel()
            else "in a notebook/Colab kernel, not in this terminal"
        )
        line("ipywidgets", f"{m.__version__}: widgets render {where}")

    line("python", f"{platform.python_version()} ({sys.executable})")
    ready = [
        imports("torch", lambda m: [line("torch", m.__version__), line("device", device_name())],
                "torch does not import: install torch (pip install torch)"),
        imports("ptcourse", lambda m: line("ptcourse", f"{m.__version__} ({m.__file__})"),
                "ptcourse does not import"),
    ]  # fmt: skip
    imports("ipywidgets", widgets,
            "ipywidgets missing: the dials will not show (pip install ipywidgets)")  # fmt: skip
    imports("matplotlib", lambda m: line("matplotlib", m.__version__),
            "matplotlib missing: the pictures will not draw (pip install matplotlib)")  # fmt: skip
    if all(ready):
        try:
            from ptcourse import check  # noqa: F401

            line("checks", "ptcourse.check imports")
            t0 = time.perf_counter()
            results = self_test()
            failed = {k: r.message for k, r in results.items() if not r.passed}
            seconds, ok = time.perf_counter() - t0, len(results) - len(failed)
            summary = f"{ok}/{len(results)} checkers pass on the reference ({seconds:.1f}s)"
            line("self-test", summary)
            for name, err in failed.items():
                line("", f"{name}: {err}")
                problems.append(f"checker {name} fails on the reference")
        except Exception as err:
            line("checks", f"ptcourse.check does NOT import ({err})")
            problems.append("ptcourse.check does not import")

    if problems:
        print("PROBLEM: " + "; ".join(problems))
        return 1
    print("OK: this machine is ready for the course.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
