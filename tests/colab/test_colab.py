"""The Colab-like check's pieces, and the install cell that every chapter starts with."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

import ptcourse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import colab_check  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

INSTALL_CELL = (
    "# In Colab this installs the course package, pinned to this release; locally it does nothing.\n"
    "import importlib.util, subprocess, sys\n"
    'if importlib.util.find_spec("ptcourse") is None:\n'
    '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "ptcourse=={v}"], check=True)'
)


def chapters() -> list[Path]:
    """Chapters are book/*.md files that are notebooks (they carry a kernelspec)."""
    return sorted(p for p in (ROOT / "book").glob("*.md") if "\nkernelspec:" in p.read_text())


def first_code_cell(md: Path) -> str:
    """The source of the first {code-cell} of a MyST chapter, without its option lines."""
    m = re.search(r"^```\{code-cell\}[^\n]*\n(.*?)^```", md.read_text(), flags=re.S | re.M)
    assert m, f"{md.name} has no code cell"
    lines = m.group(1).splitlines()
    if lines and lines[0] == "---":  # YAML options block
        lines = lines[lines.index("---", 1) + 1 :]
    return "\n".join(line for line in lines if not line.startswith(":")).strip()


@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.stem)
def test_chapter_install_cell_pins_this_release(md):
    """Each chapter's first code cell is the install cell pinning exactly ptcourse==__version__."""
    assert first_code_cell(md) == INSTALL_CELL.format(v=ptcourse.__version__), (
        f"{md.name}: the first code cell must be exactly the install cell of the brief, pinning "
        f"ptcourse=={ptcourse.__version__}"
    )


@pytest.mark.parametrize(
    "nb", sorted((ROOT / "notebooks" / "student").glob("*.ipynb")), ids=lambda p: p.stem
)
def test_student_notebook_install_cell_pins_this_release(nb):
    """Each student notebook (what Colab opens) starts with the install cell at this version."""
    first = colab_check.code_sources(json.loads(nb.read_text()))[0]
    assert colab_check.install_pin(first) == ptcourse.__version__


def test_install_pin_reads_the_pinned_version():
    """install_pin finds the version in the install cell, and None where nothing is pinned."""
    assert colab_check.install_pin(INSTALL_CELL.format(v="1.2.3")) == "1.2.3"
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


def test_colab_requirements_follow_the_lock_and_exclude_dev_tools(tmp_path):
    """The Colab venv pins the lock's versions and holds none of the course's dev tools."""
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==2.4.6\nMatplotlib==3.11.2\npytest==9.0\nnbclient==0.11.0\n")
    reqs = colab_check.colab_requirements(colab_check.lock_pins(lock))
    assert "numpy==2.4.6" in reqs and "matplotlib==3.11.2" in reqs and "ipywidgets" in reqs
    names = {r.split("==")[0] for r in reqs}
    assert not names & set(colab_check.DEV_TOOLS)
    assert "torch" not in names  # torch is installed first, on its own, pinned
