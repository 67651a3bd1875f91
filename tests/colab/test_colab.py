"""The Colab-like check's pieces, and the install cell that every chapter starts with."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import ptcourse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "press"))

import colab_check  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

sys.path.insert(0, str(ROOT / "press"))
import render_notebooks  # noqa: E402

INSTALL = render_notebooks.install_cell(
    render_notebooks.repository_url(render_notebooks.load_config()), ptcourse.__version__
)


@pytest.mark.parametrize("md", render_notebooks.chapters(), ids=lambda p: p.stem)
def test_chapter_first_code_cell_is_the_install_slot(md):
    """Each chapter's first code cell is the install slot: no version or repository URL in it."""
    import chapter

    assert render_notebooks.first_code_cell(md) == chapter.INSTALL_SLOT
    text = md.read_text(encoding="utf-8")
    assert ptcourse.__version__ not in text.split("```{code-cell}")[1]
    assert render_notebooks.repository_url(render_notebooks.load_config()) not in text


@pytest.mark.parametrize(
    "nb",
    sorted((ROOT / "notebooks").glob("[si]*/*.ipynb")),
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_rendered_notebook_starts_with_the_install_cell(nb):
    """Each rendered notebook (what Colab opens) starts with the install cell at this version."""
    first = colab_check.code_sources(json.loads(nb.read_text()))[0]
    assert first == INSTALL
    assert colab_check.install_pin(first) == ptcourse.__version__


def test_install_cell_names_the_repository_of_config_and_the_version():
    """The template is filled from _config.yml's repository and ptcourse.__version__, nothing else."""
    repo = render_notebooks.repository_url(render_notebooks.load_config())
    assert f'PTCOURSE = "{ptcourse.__version__}"' in INSTALL
    assert f"git+{repo}@v{{PTCOURSE}}" in INSTALL
    assert "@VERSION@" not in INSTALL and "@REPOSITORY@" not in INSTALL


def _exec_install_cell(monkeypatch, have, results, find_spec=None):
    """Run the install cell in-process with pip replaced by a recorder; return (calls, stdout)."""
    import contextlib
    import importlib.metadata
    import importlib.util
    import io
    import subprocess
    import types

    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        return types.SimpleNamespace(
            returncode=results[len(calls) - 1], stdout="", stderr="no such version\n"
        )

    def fake_version(name):
        if have is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return have

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(importlib.metadata, "version", fake_version)
    if find_spec is not None:
        monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(INSTALL, "install-cell", "exec"), {"__name__": "__main__"})
    return calls, out.getvalue()


def test_install_cell_does_nothing_at_the_right_version(monkeypatch):
    """With ptcourse installed at this version, the cell calls no pip and prints nothing."""
    calls, out = _exec_install_cell(monkeypatch, ptcourse.__version__, [])
    assert calls == [] and out == ""


def test_install_cell_pins_pypi_with_no_deps_and_says_so(monkeypatch):
    """Missing ptcourse: one pip call, ptcourse==<version> with --no-deps; one line says PyPI."""
    calls, out = _exec_install_cell(monkeypatch, None, [0])
    assert len(calls) == 1 and calls[0][-1] == f"ptcourse=={ptcourse.__version__}"
    assert "--no-deps" in calls[0] and not any("torch" in a for a in calls[0])
    assert out.strip().splitlines()[0] == f"ptcourse {ptcourse.__version__} installed from PyPI"


def test_install_cell_falls_back_to_the_git_tag(monkeypatch):
    """When PyPI has no such version, the cell installs the repository's tag v<version>, no deps."""
    calls, out = _exec_install_cell(monkeypatch, "0.0.1", [1, 0])
    repo = render_notebooks.repository_url(render_notebooks.load_config())
    assert calls[1][-1] == f"ptcourse @ git+{repo}@v{ptcourse.__version__}"
    assert all("--no-deps" in c for c in calls)
    assert f"at tag v{ptcourse.__version__}" in out and "PyPI has no" in out


def test_install_cell_fails_clearly_when_both_sources_fail(monkeypatch):
    """Neither PyPI nor the tag: a RuntimeError that names the version and shows pip's words."""
    with pytest.raises(RuntimeError, match=rf"could not install ptcourse {ptcourse.__version__}"):
        _exec_install_cell(monkeypatch, None, [1, 1])


def test_install_cell_without_torch_stops_and_never_calls_pip(monkeypatch):
    """No torch (a bare Jupyter): a clear message on how to get torch, and no pip call at all."""
    import importlib.util

    real = importlib.util.find_spec

    def no_torch(name, *a):
        return None if name == "torch" else real(name, *a)

    with pytest.raises(RuntimeError, match=r"needs PyTorch.*pytorch\.org"):
        _exec_install_cell(monkeypatch, None, [], find_spec=no_torch)


def test_install_cell_stops_without_torch_in_a_real_bare_python():
    """In a Python without site-packages (-S: no torch, no pip), the cell stops with the torch message."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", INSTALL], capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "needs PyTorch" in proc.stderr and "pytorch.org" in proc.stderr


def test_install_pin_reads_the_pinned_version():
    """install_pin finds the version in the install cell, and None where nothing is pinned."""
    assert colab_check.install_pin(INSTALL.replace(ptcourse.__version__, "1.2.3")) == "1.2.3"
    assert colab_check.install_pin('pip install "ptcourse"') is None


def _executed(outputs_by_cell):
    cells = []
    for src, text in outputs_by_cell:
        outs = [{"output_type": "stream", "name": "stdout", "text": text}] if text else []
        cells.append({"cell_type": "code", "source": src, "outputs": outs})
    return {"cells": cells}


def test_checker_problems_requires_not_done_yet_from_every_checker():
    """A checker cell that printed success, or nothing, is reported; 'not done yet' is accepted."""
    nb = _executed([
        ("x = 1", ""),
        ("check.entropy(entropy)", "⏳ entropy: not done yet -- write it\n"),
        ("check.kl_divergence(kl_divergence)", "✅ kl_divergence: correct\n"),
        ("check.dpo_loss(dpo_loss)", ""),
    ])  # fmt: skip
    n, problems = colab_check.checker_problems(nb)
    assert n == 3
    assert len(problems) == 2
    assert "check.kl_divergence" in problems[0] and "check.dpo_loss" in problems[1]


def test_freeze_diff_sees_a_replaced_torch():
    """An install that swaps torch shows up as removed + added lines, not only ptcourse."""
    before = ["numpy==2.4.6", "torch==2.13.0+cpu"]
    after = ["numpy==2.4.6", "ptcourse==0.1.0", "torch==2.14.0"]
    removed, added = colab_check.freeze_diff(before, after)
    assert removed == {"torch==2.13.0+cpu"}
    assert added == {"ptcourse==0.1.0", "torch==2.14.0"}


def test_kernel_env_lets_pip_reach_only_the_wheel_folder(tmp_path, monkeypatch):
    """The kernel's pip sees only find_links (no index, no config), and no PYTHONPATH leaks in."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://example.invalid/simple")
    env = colab_check.kernel_env(tmp_path)
    assert env["PIP_FIND_LINKS"] == str(tmp_path) and env["PIP_NO_INDEX"] == "1"
    assert "PYTHONPATH" not in env and "PIP_EXTRA_INDEX_URL" not in env


def test_checker_problems_on_an_instructor_notebook_want_success():
    """With solutions present (expect_done), a 'not done yet' checker is a problem; success is not."""
    nb = _executed([
        ("check.entropy(entropy)", "✅ entropy: correct\n"),
        ("check.kl_divergence(kl_divergence)", "⏳ kl_divergence: not done yet -- write it\n"),
    ])  # fmt: skip
    n, problems = colab_check.checker_problems(nb, expect_done=True)
    assert n == 2 and len(problems) == 1 and "check.kl_divergence" in problems[0]


def test_colab_pins_are_colabs_versions_without_url_lines():
    """The copy of Colab's freeze gives ipywidgets 7.7.1 etc.; torch (a URL line there) is left out."""
    pins = colab_check.colab_pins()
    assert pins["ipywidgets"] == "7.7.1" and pins["ipykernel"] == "6.17.1"
    assert pins["numpy"] == "2.1.3" and pins["matplotlib"] == "3.10.0"
    assert "torch" not in pins
    reqs = colab_check.colab_requirements(pins)
    assert "ipywidgets==7.7.1" in reqs and "ipython==7.34.0" in reqs
    assert not {r.split("==")[0] for r in reqs} & set(colab_check.DEV_TOOLS)


def test_torch_comes_from_the_lock(tmp_path):
    """torch's version is read from requirements.lock (the one place it is written)."""
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==2.4.6\ntorch==9.8.7\n")
    assert colab_check.torch_requirement(colab_check.lock_pins(lock)) == "torch==9.8.7"
    assert colab_check.torch_requirement(colab_check.lock_pins()).startswith("torch==")
    with pytest.raises(SystemExit, match="torch"):
        colab_check.torch_requirement({})


def test_colab_like_problems_see_a_newer_ipywidgets_and_dev_tools():
    """A venv with ipywidgets 8, pytest, or another torch is reported as not Colab-like."""
    colab = {"ipywidgets": "7.7.1", "numpy": "2.1.3"}
    good = ["ipywidgets==7.7.1", "numpy==2.1.3", "torch==2.13.0+cpu"]
    assert colab_check.colab_like_problems(good, "torch==2.13.0", colab) == []
    bad = ["ipywidgets==8.1.9", "numpy==2.1.3", "torch==2.14.0", "pytest==9.0"]
    problems = colab_check.colab_like_problems(bad, "torch==2.13.0", colab)
    assert any("ipywidgets is '8.1.9'" in p for p in problems)
    assert any("torch" in p for p in problems) and any("pytest" in p for p in problems)
