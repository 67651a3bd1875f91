"""Student notebooks: solutions become stubs, checker calls stay, and notebooks/student/ is in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptcourse import check, student

ROOT = Path(__file__).resolve().parents[1]

SOLUTION = '''\
# the learner writes this
@staticmethod
def token_logprobs(
    logits, targets, *, chunk_size=None
):
    """Return log softmax(logits)[targets].

    A second docstring line.
    """
    logp = torch.log_softmax(logits.float(), dim=-1)
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
'''


def _code(source: str, tags=(), outputs=True) -> dict:
    return {
        "cell_type": "code",
        "execution_count": 7 if outputs else None,
        "id": None,
        "metadata": {"tags": list(tags)} if tags else {},
        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]
        if outputs
        else [],
        "source": source.splitlines(keepends=True),
    }


def _notebook(solution: str = SOLUTION) -> dict:
    cells = [
        {"cell_type": "markdown", "id": "md1", "metadata": {}, "source": ["# Title\n", "text"]},
        _code("import torch\nfrom ptcourse import check"),
        _code(solution, tags=["solution"]),
        _code("check.token_logprobs(token_logprobs)"),
    ]
    for i, c in enumerate(cells[1:]):
        c["id"] = f"c{i}"
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "jupytext": {"formats": "md:myst"}}  # fmt: skip
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def _write(src: Path, nb: dict, name: str = "ch.ipynb") -> Path:
    src.mkdir(parents=True, exist_ok=True)
    path = src / name
    path.write_text(json.dumps(nb, indent=1))
    return path


def test_committed_student_notebooks_are_in_sync():
    """notebooks/student/ holds exactly the student build of notebooks/*.ipynb (regenerate: make student)."""
    problems = student.out_of_date(ROOT / "notebooks", ROOT / "notebooks" / "student")
    assert not problems, (
        "notebooks/student/ is out of date with notebooks/*.ipynb:\n  "
        + "\n  ".join(problems)
        + f"\nFix: {student.REGENERATE}"
    )


def test_every_instructor_notebook_has_a_student_twin():
    """Each chapter notebook has a student notebook, which the chapter's Colab badge opens."""
    names = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    have = {p.name for p in (ROOT / "notebooks" / "student").glob("*.ipynb")}
    assert names <= have, f"missing student notebooks: {sorted(names - have)}. Fix: make student"


def test_solution_body_becomes_a_stub_and_the_rest_stays(tmp_path):
    """A solution keeps comment, decorator, signature and docstring; its body is replaced by the stub."""
    _write(tmp_path / "src", _notebook())
    assert student.main(["--student", str(tmp_path / "out"), "--src", str(tmp_path / "src")]) == 0
    nb = json.loads((tmp_path / "out" / "ch.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"]]
    stub = sources[2]
    assert stub.startswith("# the learner writes this\n@staticmethod\ndef token_logprobs(\n")
    assert '    A second docstring line.\n    """\n' in stub
    assert "log_softmax" not in stub and "gather" not in stub
    assert stub.endswith("    " + student.STUB)
    assert sources[3] == "check.token_logprobs(token_logprobs)"
    assert sources[0] == "# Title\ntext" and sources[1].startswith("import torch")
    assert nb["cells"][2]["metadata"]["tags"] == ["exercise"]
    assert all(c.get("outputs") in (None, []) for c in nb["cells"])
    assert all(c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code")
    assert set(nb["metadata"]) == {"kernelspec"}


def test_stub_runs_and_the_checker_says_not_done_yet(capsys):
    """The generated stub defines the function; calling the checker on it prints 'not done yet'."""
    namespace: dict = {}
    exec(student.stub_source(SOLUTION.replace("@staticmethod\n", "")), namespace)
    with pytest.raises(NotImplementedError):
        namespace["token_logprobs"](None, None)
    check.token_logprobs(namespace["token_logprobs"])
    assert check.NOT_DONE in capsys.readouterr().out


def test_stub_without_docstring_keeps_the_signature():
    """A solution with no docstring keeps its def line and gets the stub as its body."""
    out = student.stub_source("def f(x):\n    return x\n")
    assert out == "def f(x):\n    " + student.STUB


@pytest.mark.parametrize(
    "source",
    [
        "import torch\ndef f(x):\n    'doc'\n    return x\n",
        "def f(x):\n    'doc'\n    return x\n\ndef g(x):\n    'doc'\n    return x\n",
        "def f(x): return x\n",
        "x = 1\n",
    ],
    ids=["import", "two-defs", "one-liner", "no-def"],
)
def test_a_solution_cell_that_breaks_the_rule_is_an_error(tmp_path, source, capsys):
    """A solution cell that is not exactly one def (with a body on its own lines) fails loudly."""
    _write(tmp_path / "src", _notebook(source))
    code = student.main(["--student", str(tmp_path / "out"), "--src", str(tmp_path / "src")])
    assert code == 2
    assert "ch, cell 2" in capsys.readouterr().err


def test_output_is_deterministic_and_check_mode_detects_drift(tmp_path, capsys):
    """Two builds are byte-identical; --check passes after a build, fails (naming the fix) after an edit."""
    src, out = tmp_path / "src", tmp_path / "out"
    path = _write(src, _notebook())
    args = ["--student", str(out), "--src", str(src)]
    student.main(args)
    first = (out / "ch.ipynb").read_bytes()
    student.main(args)
    assert (out / "ch.ipynb").read_bytes() == first
    assert student.main([*args, "--check"]) == 0
    nb = _notebook()
    nb["cells"][3]["source"] = ["check.token_logprobs(token_logprobs)  # edited"]
    path.write_text(json.dumps(nb))
    capsys.readouterr()
    assert student.main([*args, "--check"]) == 1
    err = capsys.readouterr().err
    assert "ch.ipynb is stale" in err and "make student" in err


def test_check_mode_reports_missing_and_orphaned_notebooks(tmp_path):
    """--check lists a student notebook that is missing and one whose source is gone."""
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, _notebook(), "a.ipynb")
    _write(out, _notebook(), "old.ipynb")
    problems = student.out_of_date(src, out)
    assert any("a.ipynb is missing" in p for p in problems)
    assert any("old.ipynb has no instructor notebook" in p for p in problems)
