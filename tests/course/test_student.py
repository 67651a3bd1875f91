"""Student notebooks: solutions become stubs, checker calls stay, and notebooks/student/ is in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptcourse import check, student

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
    assert set(nb["metadata"]) == {"kernelspec", "ptcourse"}


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
    assert "ch.ipynb, cell 2" in capsys.readouterr().err  # the file, with its path


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
    assert "ch.ipynb is stale" in err and "ptcourse notebooks --student" in err


def test_check_mode_reports_missing_and_orphaned_notebooks(tmp_path):
    """--check lists a student notebook that is missing and one whose source is gone."""
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, _notebook(), "a.ipynb")
    out.mkdir()
    (out / "old.ipynb").write_text(student.render(student.student_notebook(_notebook(), "old")))
    problems = student.out_of_date(src, out)
    assert any("a.ipynb is missing" in p for p in problems)
    assert any("old.ipynb has no instructor notebook" in p for p in problems)


def test_check_mode_ignores_files_it_did_not_write(tmp_path):
    """A learner's own notebook in OUT is not reported as an orphan (it is not ours to judge)."""
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, _notebook(), "a.ipynb")
    student.main(["--student", str(out), "--src", str(src)])
    (out / "mine.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    assert student.out_of_date(src, out) == []


# ---- data loss (issue 14): OUT may hold the learner's own work -------------------------------


def test_other_notebooks_in_out_survive(tmp_path):
    """A notebook in OUT that the command did not write is left byte for byte as it was."""
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, _notebook(), "ch.ipynb")
    out.mkdir()
    mine = out / "my_own_work.ipynb"
    mine.write_text('{"cells": [], "metadata": {}, "note": "my answers"}')
    other = out / "notes.txt"
    other.write_text("keep me")
    assert student.main(["--student", str(out), "--src", str(src)]) == 0
    assert mine.read_text() == '{"cells": [], "metadata": {}, "note": "my answers"}'
    assert other.read_text() == "keep me"
    assert (out / "ch.ipynb").exists()


def test_a_file_it_did_not_write_is_never_overwritten(tmp_path, capsys):
    """OUT/<name>.ipynb that is not ours stops the command before anything is written."""
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, _notebook(), "a.ipynb")
    _write(src, _notebook(), "b.ipynb")
    out.mkdir()
    theirs = out / "b.ipynb"
    theirs.write_text('{"cells": [], "metadata": {}}')
    assert student.main(["--student", str(out), "--src", str(src)]) == 1
    err = capsys.readouterr().err
    assert "b.ipynb exists and was not written by" in err and "nothing was written" in err
    assert theirs.read_text() == '{"cells": [], "metadata": {}}'
    assert not (out / "a.ipynb").exists()


def test_its_own_earlier_output_is_updated(tmp_path):
    """A notebook the command wrote before (it carries the marker) is rewritten when SRC changed."""
    src, out = tmp_path / "src", tmp_path / "out"
    path = _write(src, _notebook(), "ch.ipynb")
    args = ["--student", str(out), "--src", str(src)]
    assert student.main(args) == 0
    nb = _notebook()
    nb["cells"][0]["source"] = ["# New title\n"]
    path.write_text(json.dumps(nb))
    assert student.main(args) == 0
    assert "New title" in (out / "ch.ipynb").read_text()


def test_out_equal_to_src_is_refused_and_solutions_survive(tmp_path, capsys):
    """--student SRC would replace solutions by stubs: refused with exit 1, sources unchanged."""
    src = tmp_path / "src"
    path = _write(src, _notebook(), "ch.ipynb")
    before = path.read_bytes()
    for out in (src, tmp_path / "src" / ".." / "src"):
        assert student.main(["--student", str(out), "--src", str(src)]) == 1
        assert "same directory as --src" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_out_that_lands_on_a_source_through_a_symlink_is_refused(tmp_path, capsys):
    """OUT/<name> that is a link to the source notebook is refused, not overwritten."""
    src, out = tmp_path / "src", tmp_path / "out"
    path = _write(src, _notebook(), "ch.ipynb")
    before = path.read_bytes()
    out.mkdir()
    (out / "ch.ipynb").symlink_to(path)
    assert student.main(["--student", str(out), "--src", str(src)]) == 1
    assert "is a source notebook" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_out_inside_src_is_fine_when_nothing_is_overwritten(tmp_path):
    """The default layout, notebooks/student inside notebooks/, writes and leaves SRC alone."""
    src = tmp_path / "notebooks"
    path = _write(src, _notebook(), "ch.ipynb")
    before = path.read_bytes()
    assert student.main(["--student", str(src / "student"), "--src", str(src)]) == 0
    assert path.read_bytes() == before
    assert "NotImplementedError" in (src / "student" / "ch.ipynb").read_text()


@pytest.mark.parametrize("how", ["empty", "no-notebooks"])
def test_nothing_to_write_is_an_error_and_out_is_untouched(tmp_path, capsys, how):
    """An empty (or wrong) --src exits 1 with a message, and OUT keeps every file."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    if how == "no-notebooks":
        (src / "readme.md").write_text("not a notebook")
    out.mkdir()
    (out / "ch.ipynb").write_text(student.render(student.student_notebook(_notebook(), "ch")))
    before = (out / "ch.ipynb").read_bytes()
    assert student.main(["--student", str(out), "--src", str(src)]) == 1
    assert "holds no *.ipynb notebook" in capsys.readouterr().err
    assert (out / "ch.ipynb").read_bytes() == before


def test_missing_src_directory_is_an_error_naming_it(tmp_path, capsys):
    """--src that is not a directory fails (argparse exit 2) naming --src."""
    with pytest.raises(SystemExit) as exc:
        student.main(["--student", str(tmp_path / "out"), "--src", str(tmp_path / "nope")])
    assert exc.value.code == 2
    assert "--src" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---- issue 30: a rerun never replaces a learner's work; broken input is named ----------------


def _solve(path: Path) -> bytes:
    """What Jupyter does when a learner solves the exercise and saves: the marker stays."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if "NotImplementedError" in "".join(cell["source"]):
            cell["source"] = ["def token_logprobs(logits, targets):\n", "    return 42  # mine\n"]
    data = json.dumps(nb, indent=1).encode()
    path.write_bytes(data)
    assert student.written_by_us(path)  # the marker alone cannot tell this file apart
    return data


def test_a_rerun_keeps_a_notebook_the_learner_changed(tmp_path, capsys):
    """A rerun overwrote the learner's solved exercises (the marker survives a save) and said so
    nothing: now the file is kept byte for byte, and the command says it kept it."""
    src, out = tmp_path / "src", tmp_path / "out"
    path = _write(src, _notebook(), "ch.ipynb")
    _write(src, _notebook(), "other.ipynb")
    args = ["--student", str(out), "--src", str(src)]
    assert student.main(args) == 0
    solved = _solve(out / "ch.ipynb")
    nb = _notebook()
    nb["cells"][0]["source"] = ["# New title\n"]
    path.write_text(json.dumps(nb))  # the course changed: a rerun has something new to write
    _write(src, nb, "other.ipynb")
    capsys.readouterr()
    assert student.main(args) == 0
    err = capsys.readouterr().err
    assert (out / "ch.ipynb").read_bytes() == solved
    assert "kept 1 notebooks that changed" in err and str(out / "ch.ipynb") in err
    assert "New title" in (out / "other.ipynb").read_text()  # the untouched one is updated


def test_a_notebook_without_a_record_is_kept(tmp_path, capsys):
    """A marked notebook with no SHA-256 on record (the manifest lost, or an older version of the
    command) cannot be shown to be unchanged: it is kept, not replaced."""
    src, out = tmp_path / "src", tmp_path / "out"
    path = _write(src, _notebook(), "ch.ipynb")
    args = ["--student", str(out), "--src", str(src)]
    assert student.main(args) == 0
    before = (out / "ch.ipynb").read_bytes()
    (out / student.MANIFEST).unlink()
    nb = _notebook()
    nb["cells"][0]["source"] = ["# New title\n"]
    path.write_text(json.dumps(nb))
    assert student.main(args) == 0
    assert (out / "ch.ipynb").read_bytes() == before
    assert "kept 1 notebooks" in capsys.readouterr().err


def test_the_manifest_records_what_was_written(tmp_path):
    """OUT/.ptcourse-notebooks.json holds the SHA-256 of the bytes of each notebook written."""
    import hashlib

    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, _notebook(), "ch.ipynb")
    assert student.main(["--student", str(out), "--src", str(src)]) == 0
    record = student.read_manifest(out)
    assert record == {"ch.ipynb": hashlib.sha256((out / "ch.ipynb").read_bytes()).hexdigest()}
    assert student.out_of_date(src, out) == []  # the manifest is no notebook


def test_out_naming_a_file_is_an_error_not_a_traceback(tmp_path, capsys):
    """--student naming a file raised FileExistsError from mkdir (a traceback)."""
    src, out = tmp_path / "src", tmp_path / "out.txt"
    _write(src, _notebook(), "ch.ipynb")
    out.write_text("mine")
    for extra in ([], ["--check"]):
        assert student.main(["--student", str(out), "--src", str(src), *extra]) == 2
        assert f"--student {out} is a file, not a directory" in capsys.readouterr().err
    assert out.read_text() == "mine"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"cells": [', "not valid JSON"),
        (b'{"cells": [], "metadata": {"t": "\xff"}}', "not UTF-8 text"),
        (b"[1, 2]", "not a notebook"),
        (b'{"cells": "none"}', "not a notebook"),
        (b'{"cells": [3]}', "cell 0: a cell must be a JSON object"),
        (b'{"cells": [{"cell_type": "code", "source": 5}]}', "cell 0: 'source' must be a string"),
        (b'{"cells": [], "metadata": []}', "'metadata' must be a JSON object"),
    ],
    ids=["json", "utf8", "list", "cells-str", "cell-int", "source-int", "metadata-list"],
)
def test_a_broken_source_notebook_is_named(tmp_path, capsys, data, message):
    """A broken source notebook raised a traceback (JSONDecodeError, UnicodeDecodeError,
    AttributeError) that did not name the file; now exit 2 naming it, and nothing is written."""
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, _notebook(), "a.ipynb")
    (src / "broken.ipynb").write_bytes(data)
    assert student.main(["--student", str(out), "--src", str(src)]) == 2
    err = capsys.readouterr().err
    assert str(src / "broken.ipynb") in err and message in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("tags", ["solution", {"solution": 1}, [1], "exercise"])
def test_malformed_tags_are_refused_never_read_letter_by_letter(tmp_path, capsys, tags):
    """tags = "solution" (a string) was read letter by letter: the solution was copied as is."""
    src, out = tmp_path / "src", tmp_path / "out"
    nb = _notebook()
    nb["cells"][2]["metadata"]["tags"] = tags
    _write(src, nb, "ch.ipynb")
    assert student.main(["--student", str(out), "--src", str(src)]) == 2
    err = capsys.readouterr().err
    assert "ch.ipynb, cell 2: cell metadata 'tags' must be a list of strings" in err
    assert not out.exists()
