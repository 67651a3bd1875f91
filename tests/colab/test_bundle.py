"""`make dist`'s bundle: every file is in SHA256SUMS, the sums verify, and the tarball is reproducible."""

from __future__ import annotations

import hashlib
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

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
