"""press/publish_check.py (the Pages workflow's last gate) and _ext/exec_status.py (the banner a
page that did not execute fully carries), on fixtures: a tiny site, a docutils page, a git repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from docutils import nodes
from docutils.core import publish_doctree, publish_from_doctree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "press"))
sys.path.insert(0, str(ROOT / "_ext"))

import exec_status  # noqa: E402
import publish_check  # noqa: E402

FAILED = {"succeeded": False, "error": "ClaimError", "traceback": "Traceback ..."}


def _page(exec_data) -> str:
    """The HTML of a one-section page after the extension's hook, through docutils' writer."""
    doctree = publish_doctree("Chapter\n=======\n\nSome text.\n\nMore\n----\n\nx\n")
    exec_status.add_banner(doctree, exec_data)
    return publish_from_doctree(doctree, writer_name="html5").decode()


def test_a_page_that_failed_to_execute_says_so_under_its_title():
    html = _page(FAILED)
    assert exec_status.BANNER_CLASS in html and "did not execute fully" in html
    assert "ClaimError" in html
    assert html.index("did not execute fully") < html.index("Some text.")


@pytest.mark.parametrize("exec_data", [None, {}, {"succeeded": True, "error": None}])
def test_a_page_that_executed_or_has_no_code_has_no_banner(exec_data):
    assert exec_status.BANNER_CLASS not in _page(exec_data)


def test_the_banner_is_added_once():
    doctree = publish_doctree("Chapter\n=======\n\ntext\n")
    assert exec_status.add_banner(doctree, FAILED) is True
    assert exec_status.add_banner(doctree, FAILED) is False
    assert len(list(doctree.findall(nodes.warning))) == 1


def _site(tmp_path: Path, *pages: tuple[str, str]) -> Path:
    for rel, text in [("index.html", "<p>home</p>"), *pages]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_a_site_whose_pages_all_executed_passes(tmp_path):
    site = _site(tmp_path, ("book/03.html", '<div class="admonition warning">fine</div>'))
    assert publish_check.unexecuted_pages(site) == []


def test_a_page_with_the_banner_or_a_traceback_report_is_refused(tmp_path):
    """The banner as the extension writes it (docutils' HTML), and myst-nb's reports/*.err.log."""
    site = _site(
        tmp_path,
        ("book/03_kl_divergence.html", _page(FAILED)),
        ("reports/book/05_entropy.err.log", "Traceback"),
    )
    assert publish_check.unexecuted_pages(site) == [
        "book/03_kl_divergence.html: did not execute fully",
        "reports/book/05_entropy.err.log: a chapter's execution traceback",
    ]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_the_release_tag_is_looked_up_locally_and_on_a_remote(tmp_path):
    """A missing v<version> is refused; a present one (local, or on the remote) passes."""
    origin, clone = tmp_path / "origin", tmp_path / "clone"
    origin.mkdir()
    _git(origin, "init", "-q")
    _git(
        origin,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    _git(tmp_path, "clone", "-q", str(origin), str(clone))
    assert publish_check.missing_tag("0.1.0", publish_check.tags("origin", clone))
    assert publish_check.missing_tag("0.1.0", publish_check.tags("", clone))
    _git(origin, "tag", "-a", "v0.1.0", "-m", "release")  # annotated: ls-remote lists ^{} too
    assert publish_check.tags("origin", clone) == {"v0.1.0"}
    assert publish_check.missing_tag("0.1.0", publish_check.tags("origin", clone)) == []
    assert publish_check.missing_tag("0.1.0", publish_check.tags("", clone))  # not fetched yet
    _git(clone, "fetch", "-q", "--tags")
    assert publish_check.missing_tag("0.1.0", publish_check.tags("", clone)) == []


def test_main_refuses_an_unexecuted_site(tmp_path, capsys, monkeypatch):
    site = _site(tmp_path, ("book/03.html", _page(FAILED)))
    monkeypatch.setattr(publish_check, "tags", lambda remote: {f"v{_version()}"})
    assert publish_check.main(["--site", str(site)]) == 1
    assert "did not execute fully" in capsys.readouterr().err
    (site / "book" / "03.html").write_text(_page(None))
    assert publish_check.main(["--site", str(site)]) == 0


def _version() -> str:
    from render_notebooks import package_version

    return package_version(ROOT)


CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
# {title}

Some text.

```{{code-cell}} ipython3
{code}
```
"""


@pytest.mark.slow
def test_sphinx_build_banners_the_page_that_failed_to_execute(tmp_path):
    """The hook reads myst-nb's real execution record: a real build (one kernel, ~15 s) of a page
    that raises and one that runs; only the first carries the banner, and the gate refuses it."""
    pytest.importorskip("myst_nb")
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        'extensions = ["myst_nb", "exec_status"]\nnb_execution_mode = "force"\n'
    )
    (src / "index.md").write_text(
        CHAPTER.format(title="Broken", code='raise ValueError("boom")')
        + "\n```{toctree}\nok\n```\n"
    )
    (src / "ok.md").write_text(CHAPTER.format(title="Fine", code="1 + 1"))
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "index did not execute fully (CellExecutionError)" in run.stderr
    assert exec_status.BANNER_CLASS in (out / "index.html").read_text()
    assert exec_status.BANNER_CLASS not in (out / "ok.html").read_text()
    assert publish_check.unexecuted_pages(out) == [
        "index.html: did not execute fully",
        "reports/index.err.log: a chapter's execution traceback",
    ]
