"""`make dist`'s bundle: every file is in SHA256SUMS, the sums verify, and the tarball is reproducible."""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
from pathlib import Path

import pytest
from chapter_source import chapter as chapter_text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "press"))

import bundle  # noqa: E402


@pytest.fixture
def inputs(tmp_path):
    """A small site, instructor + student notebooks and a wheel, as `make dist` would have them."""
    site = tmp_path / "html"
    (site / "book").mkdir(parents=True)
    (site / "index.html").write_text("<html>index</html>")
    (site / "book" / "01.html").write_text("<html>one</html>")
    nbs = tmp_path / "notebooks"
    (nbs / "student").mkdir(parents=True)
    (nbs / "instructor").mkdir(parents=True)
    (nbs / "instructor" / "01.ipynb").write_text('{"cells": ["solution"]}')
    (nbs / "student" / "01.ipynb").write_text('{"cells": ["stub"]}')
    wheel = tmp_path / "ptcourse-9.9.9-py3-none-any.whl"
    wheel.write_bytes(b"PK wheel bytes")
    return site, nbs, wheel


def test_bundle_holds_site_notebooks_wheel_and_valid_sums(tmp_path, inputs):
    """The tarball has the site, both notebook sets and the wheel; SHA256SUMS matches every file."""
    site, nbs, wheel = inputs
    out = bundle.make_bundle(tmp_path / "dist" / "w.tar.gz", "9.9.9", site, nbs, wheel)
    with tarfile.open(out) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    root = tmp_path / "x" / "ptcourse-workshop-9.9.9"
    for rel in ("site/index.html", "site/book/01.html", "notebooks/instructor/01.ipynb",
                "notebooks/student/01.ipynb", "wheels/ptcourse-9.9.9-py3-none-any.whl",
                "README.txt", "SHA256SUMS"):  # fmt: skip
        assert (root / rel).is_file(), rel
    sums = dict(
        reversed(line.split("  ", 1)) for line in (root / "SHA256SUMS").read_text().splitlines()
    )
    assert (
        sums["wheels/ptcourse-9.9.9-py3-none-any.whl"]
        == hashlib.sha256(b"PK wheel bytes").hexdigest()
    )
    assert len(sums) == 6  # every file but SHA256SUMS itself
    assert bundle.verify_sha256sums(root) == []


def test_verify_detects_a_changed_and_an_unlisted_file(tmp_path):
    """verify_sha256sums reports a file edited after summing and a file added after summing."""
    (tmp_path / "a.txt").write_text("a")
    bundle.write_sha256sums(tmp_path)
    assert bundle.verify_sha256sums(tmp_path) == []
    (tmp_path / "a.txt").write_text("changed")
    (tmp_path / "b.txt").write_text("new")
    problems = bundle.verify_sha256sums(tmp_path)
    assert problems == ["a.txt: checksum differs", "b.txt: not listed in SHA256SUMS"]


def test_bundle_is_reproducible(tmp_path, inputs):
    """The same inputs give a byte-identical tarball (sorted entries, fixed mtimes and owners)."""
    site, nbs, wheel = inputs
    a = bundle.make_bundle(tmp_path / "a.tar.gz", "9.9.9", site, nbs, wheel).read_bytes()
    (site / "index.html").touch()  # a newer mtime must not matter
    b = bundle.make_bundle(tmp_path / "b.tar.gz", "9.9.9", site, nbs, wheel).read_bytes()
    assert a == b


def test_missing_student_notebooks_stop_the_bundle(tmp_path, inputs):
    """A bundle without student notebooks is refused with a message, not written half-empty."""
    site, nbs, wheel = inputs
    (nbs / "student" / "01.ipynb").unlink()
    with pytest.raises(SystemExit, match="student"):
        bundle.make_bundle(tmp_path / "w.tar.gz", "9.9.9", site, nbs, wheel)


# --------------------------------------------------------------------------------------------------
# issue 16: a learner bundle without solutions, an instructor bundle with everything
# --------------------------------------------------------------------------------------------------

BOOK = Path(__file__).resolve().parents[2] / "book"


def _extract(tar_path: Path, where: Path) -> Path:
    with tarfile.open(tar_path) as tar:
        tar.extractall(where, filter="data")
    (root,) = where.iterdir()
    return root


def test_learner_bundle_has_student_notebooks_only_and_valid_sums(tmp_path, inputs):
    """The learner tarball has the site, the student notebooks and the wheel, no instructor set."""
    site, nbs, wheel = inputs
    out = bundle.make_bundle(tmp_path / "l.tar.gz", "9.9.9", site, nbs, wheel, kind="learner")
    root = _extract(out, tmp_path / "x")
    assert (root / "notebooks" / "student" / "01.ipynb").is_file()
    assert not (root / "notebooks" / "instructor").exists()
    assert bundle.verify_sha256sums(root) == []
    assert bundle.find_leaks(root, BOOK) == []
    assert "holds no solution" in (root / "README.txt").read_text()


def test_instructor_bundle_carries_the_slides_when_built(tmp_path, inputs):
    """The instructor tarball has both notebook sets and the site's slides/ folder."""
    site, nbs, wheel = inputs
    (site / "slides").mkdir()
    (site / "slides" / "01.html").write_text("<html>deck</html>")
    root = _extract(bundle.make_bundle(tmp_path / "i.tar.gz", "9.9.9", site, nbs, wheel),
                    tmp_path / "x")  # fmt: skip
    for rel in (
        "site/slides/01.html",
        "notebooks/instructor/01.ipynb",
        "notebooks/student/01.ipynb",
    ):
        assert (root / rel).is_file(), rel
    assert bundle.verify_sha256sums(root) == []


@pytest.mark.parametrize(
    "page,leak",
    [
        ('<div class="solution dropdown admonition" id="s">x</div>', "solution markup"),
        ('<div class="cell tag_solution docutils container">x</div>', "solution markup"),
        ("<p>Solution to Exercise 3</p>", "Solution to Exercise"),
        ('<div class="ptc-quiz-key">answers</div>', "ptc-quiz-key"),
        ("<li>(b) Flattens it: <strong>right</strong>. Dividing ...</li>", "<strong>right"),
        # a telltale line of a real solution of the book (03's k3 exercise), highlighted as code
        (
            '<pre><span class="k">return</span> torch.expm1(log_r) - log_r  '
            "<span># (r - 1) - log r, accurate for r near 1</span></pre>",
            "the solution at 03_",
        ),
    ],
)
def test_learner_bundle_with_a_solution_is_refused(tmp_path, inputs, page, leak):
    """A page with solution markup or a solution's text stops the learner bundle, naming it."""
    site, nbs, wheel = inputs
    (site / "book" / "03.html").write_text(f"<html><body>{page}</body></html>")
    with pytest.raises(SystemExit, match="would hold solutions") as exc:
        bundle.make_bundle(tmp_path / "l.tar.gz", "9.9.9", site, nbs, wheel, kind="learner",
                           book=BOOK)  # fmt: skip
    assert leak in str(exc.value) and "site/book/03.html" in str(exc.value)
    assert not (tmp_path / "l.tar.gz").exists()


def test_find_leaks_reports_instructor_notebooks_and_solution_cells(tmp_path):
    """Instructor notebooks, or a student notebook cell tagged solution, are leaks."""
    (tmp_path / "notebooks" / "instructor").mkdir(parents=True)
    (tmp_path / "notebooks" / "student").mkdir(parents=True)
    cell = {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "x"}
    (tmp_path / "notebooks" / "student" / "01.ipynb").write_text(json.dumps({"cells": [cell]}))
    assert bundle.find_leaks(tmp_path) == [
        "notebooks/instructor/ is in the bundle",
        "notebooks/student/01.ipynb: a cell tagged solution",
    ]


def test_every_solution_of_the_book_has_a_telltale_line():
    """Each chapter with exercises contributes telltales, code and written, from its solutions."""
    lines = bundle.solution_lines(BOOK)
    for chapter in ("01_", "02_", "03_", "04_", "05_"):
        assert any(k.startswith(chapter) for k in lines), chapter
    assert all(len(v) >= 24 for v in lines.values())


def test_learner_config_loads_the_extension_and_reuses_the_cache(tmp_path):
    """The learner _config.yml adds learner_site, makes extension paths absolute, keeps the cache."""
    import yaml

    out = bundle.learner_config(tmp_path / "_config.yml")
    config = yaml.safe_load(out.read_text())
    local = config["sphinx"]["local_extensions"]
    assert local["learner_site"] == str(bundle.ROOT / "press")
    assert all(Path(p).is_absolute() for p in local.values())
    assert config["execute"]["cache"] == str(bundle.ROOT / "_build" / ".jupyter_cache")


_FIXTURE_PAGE = chapter_text("""\
# Page

```{exercise} Add
:label: ex-add

Write add.
```

```{solution} ex-add
:class: dropdown

The written answer that must stay with the instructor, word for word.
```

```{solution-start} ex-add
:class: dropdown
```

```{code-cell} ipython3
:tags: [solution]

total_for_the_instructor_only = 1 + 2 + 3 + 4 + 5
```

```{solution-end}
```

```{code-cell} ipython3
print("a cell every learner sees")
```
""")


@pytest.mark.parametrize("learner", [False, True])
def test_learner_site_extension_removes_every_solution(tmp_path, learner):
    """Built with press/learner_site.py, a page with written and gated code solutions leaks
    nothing; built without it (the normal site), the same check finds the solutions."""
    pytest.importorskip("sphinx_exercise")
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    (src / "book").mkdir(parents=True)
    (src / "book" / "page.md").write_text(_FIXTURE_PAGE)
    extensions = ["myst_nb", "sphinx_exercise"] + (["learner_site"] if learner else [])
    (src / "conf.py").write_text(
        f"extensions = {extensions!r}\nnb_execution_mode = 'off'\nroot_doc = 'book/page'\n"
        "exclude_patterns = ['_build']\n"
    )
    sys.path.insert(0, str(bundle.ROOT / "press"))
    try:
        app = Sphinx(str(src), str(src), str(tmp_path / "html"), str(tmp_path / "doctrees"),
                     "html", status=None, warning=None, freshenv=True)  # fmt: skip
        app.build()
    finally:
        sys.path.remove(str(bundle.ROOT / "press"))
    text = (tmp_path / "html" / "book" / "page.html").read_text()
    assert "a cell every learner sees" in text
    leaks = bundle.find_leaks(tmp_path / "html", src / "book")
    if learner:
        assert leaks == []
        assert "total_for_the_instructor_only" not in text and "word for word" not in text
    else:
        assert any("solution markup" in leak for leak in leaks), leaks
        assert sum("the solution at page.md" in leak for leak in leaks) == 2, leaks
