"""The pins: one lock, mirrored in environment.yml; loose bounds for the package itself."""

from __future__ import annotations

import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import pins  # noqa: E402


def test_environment_yml_mirrors_the_lock():
    """environment.yml pins exactly the packages and versions of requirements.lock."""
    lock, env = pins.lock_pins(), pins.environment_pins()
    only_lock = {k: v for k, v in lock.items() if env.get(k) != v}
    only_env = {k: v for k, v in env.items() if lock.get(k) != v}
    assert not only_lock and not only_env, (
        f"requirements.lock and environment.yml disagree: lock has {only_lock}, "
        f"environment.yml has {only_env}. Fix: edit requirements.in / requirements.lock, "
        "then run `.venv/bin/python tools/pins.py` (or `make lock`) to rewrite environment.yml."
    )


def test_parse_pins_sees_a_one_sided_change():
    """The comparison detects a version changed on one side only (the check itself can fail)."""
    lock_text = pins.LOCK.read_text()
    env_pins = pins.parse_pins(pins.render_environment(lock_text).splitlines())
    assert env_pins == pins.parse_pins(lock_text.splitlines())
    changed = lock_text.replace("torch==2.13.0", "torch==2.12.0")
    assert pins.parse_pins(changed.splitlines()) != env_pins


def test_lock_pins_the_toolchain():
    """The lock pins torch 2.13.0 (the local CPU wheel) and Jupyter Book 1.x, which builds offline."""
    lock = pins.lock_pins()
    assert lock["torch"] == "2.13.0"
    assert lock["jupyter-book"].startswith("1."), lock["jupyter-book"]
    for name in ("jupytext", "nbval", "ipywidgets", "matplotlib", "numpy", "pytest", "hypothesis"):
        assert name in lock, f"{name} is not pinned in requirements.lock"


def test_package_keeps_loose_lower_bounds():
    """pyproject's dependencies are lower bounds only, so `pip install ptcourse` never replaces Colab's torch."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"]
    assert any(d.replace(" ", "").startswith("torch>=") for d in deps), deps
    assert not [d for d in deps if "==" in d or "<" in d], f"exact or upper pins in {deps}"
