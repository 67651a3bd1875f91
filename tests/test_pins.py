"""The pins: one lock, mirrored in environment.yml; loose bounds for the package itself."""

from __future__ import annotations

import re
import subprocess
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
    torch_version = pins.lock_pins()["torch"]
    changed = lock_text.replace(f"torch=={torch_version}", "torch==0.0.1")
    assert pins.parse_pins(changed.splitlines()) != env_pins


def test_lock_pins_the_toolchain():
    """The lock pins torch exactly and Jupyter Book 1.x, which builds offline."""
    lock = pins.lock_pins()
    assert re.fullmatch(r"\d+\.\d+\.\d+", lock["torch"]), lock["torch"]
    assert lock["jupyter-book"].startswith("1."), lock["jupyter-book"]
    for name in ("jupytext", "nbval", "ipywidgets", "matplotlib", "numpy", "pytest", "hypothesis"):
        assert name in lock, f"{name} is not pinned in requirements.lock"


def test_package_keeps_loose_lower_bounds():
    """pyproject's dependencies are lower bounds only, so `pip install ptcourse` never replaces Colab's torch."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"]
    assert any(d.replace(" ", "").startswith("torch>=") for d in deps), deps
    assert not [d for d in deps if "==" in d or "<" in d], f"exact or upper pins in {deps}"


def test_torch_pin_has_one_home():
    """The torch version is written only in requirements.lock (and its generated environment.yml).

    The Makefile reads it with grep (TORCH_PIN); a literal copy in the build files would drift.
    """
    version = pins.lock_pins()["torch"]
    for name in ("Makefile", "mk/site.mk", "pyproject.toml", "tests/test_pins.py"):
        assert version not in (ROOT / name).read_text(), f"{name} repeats torch {version}"
    out = subprocess.run(
        ["make", "-s", "-f", "Makefile", "-f", "-", "print-torch-pin"],
        input="print-torch-pin:\n\t@echo $(TORCH_PIN)\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == f"torch=={version}"


def test_trl_extra_is_loose_and_pinned_in_the_lock():
    """`ptcourse[trl]` has lower bounds only (Colab's torch stays); the lock pins what the tests ran.

    The core still depends on torch alone (plus numpy): TRL never enters `dependencies`.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = project["optional-dependencies"]["trl"]
    assert extra and all(">=" in d and "==" not in d and "<" not in d for d in extra), extra
    assert not [
        d for d in project["dependencies"] if d.split(">")[0].strip() in {"trl", "transformers"}
    ]
    lock = pins.lock_pins()
    for name in ("trl", "transformers", "accelerate", "datasets", "huggingface-hub"):
        assert re.fullmatch(r"\d+(\.\d+)+", lock.get(name, "")), f"{name} is not pinned in the lock"
