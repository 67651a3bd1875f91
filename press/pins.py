"""One lock, two files: requirements.lock is the source of every pin; environment.yml mirrors it.

``python press/pins.py`` rewrites environment.yml from requirements.lock (``make lock`` runs it);
tests/test_pins.py fails when the two disagree. environment.yml is what Binder and JupyterHub's
repo2docker read, so a workshop can scale out on the same pins.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
ENV = ROOT / "environment.yml"
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)$")

HEADER = """\
# Generated from requirements.lock and pyproject.toml by `python press/pins.py` (make lock). Do not
# edit by hand: tests/test_pins.py fails when this file and the lock disagree.
# Binder / repo2docker read this file. The CPU index keeps torch from pulling gigabytes of CUDA.
name: ptcourse
channels:
  - conda-forge
dependencies:
  - python={python}
  - pip
  - pip:
      - --extra-index-url https://download.pytorch.org/whl/cpu
"""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines) -> dict[str, str]:
    """Map normalised package name -> pinned version for every ``name==version`` line."""
    pins = {}
    for raw in lines:
        line = raw.strip().lstrip("-").strip()
        match = PIN.match(line)
        if match:
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def lock_pins() -> dict[str, str]:
    return parse_pins(LOCK.read_text().splitlines())


def environment_pins() -> dict[str, str]:
    return parse_pins(ENV.read_text().splitlines())


def render_environment(lock_text: str) -> str:
    body = [f"      - {line.strip()}" for line in lock_text.splitlines() if PIN.match(line.strip())]
    return HEADER.format(python=python_floor()) + "\n".join(body) + "\n      - -e .\n"


def python_floor() -> str:
    """The oldest Python the course supports, ``3.11``: pyproject.toml's requires-python, its home."""
    import tomllib

    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    if not (m := re.fullmatch(r">=\s*(3\.\d+)", spec)):
        raise ValueError(f"requires-python must read '>=3.N', got {spec!r}")
    return m.group(1)


if __name__ == "__main__":
    ENV.write_text(render_environment(LOCK.read_text()))
    print(f"wrote {ENV.relative_to(ROOT)} with {len(lock_pins())} pins", file=sys.stderr)
