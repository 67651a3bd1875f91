"""Shared pytest configuration for the ptcourse test suite.

Hypothesis runs a small, derandomized number of examples so the suite stays fast and every run
checks the same cases (property tests here are about exactness, not about fuzzing for hours).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

# press/ (what only the build runs: the renderer, the quizzes, the kernel-free dial pages) is not in
# the wheel; its modules import one another by name, as they do when run as scripts from there.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "press"))

settings.register_profile(
    "ptcourse",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ptcourse")


@pytest.fixture
def gen() -> torch.Generator:
    """A freshly seeded CPU generator: same seed, same numbers."""
    return torch.Generator().manual_seed(0)


@pytest.fixture(scope="session", autouse=True)
def _one_training_per_session(tmp_path_factory, worker_id):
    """Unit tests train the toy's checkpoints for real, once per test session.

    ``make unit`` runs with no PTCOURSE_TOY_CACHE (no weights from an earlier run). Here every
    xdist worker points it at one fresh directory of this session, so the first worker to need the
    pretrained or SFT model trains it and the other loads it (``toy.checkpoints`` locks the file).
    Tests that exercise the cache itself set their own directory.
    """
    import os

    if os.environ.get("PTCOURSE_TOY_CACHE"):
        yield
        return
    root = tmp_path_factory.getbasetemp()
    shared = (root.parent if worker_id != "master" else root) / "toy-cache-this-session"
    os.environ["PTCOURSE_TOY_CACHE"] = str(shared)
    try:
        yield
    finally:
        os.environ.pop("PTCOURSE_TOY_CACHE", None)


def pytest_collection_modifyitems(config, items):
    """Honour ``xdist_group`` marks under ``--dist loadgroup`` (``make unit``) with pytest 9.

    pytest-xdist 3.8 appends the ``@group`` suffix, which the controller schedules by, to
    ``Item._nodeid``, where pytest 9 no longer reads a test id, so the groups were silently
    ignored (the same repair as tests/site/conftest.py). The tests of ``ptcourse.parallel`` share
    one pool of gloo ranks per worker: grouped, one worker starts it, not both.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(m.args[0]) for m in item.iter_markers("xdist_group") if m.args})
        if not names:
            continue
        suffix = "@" + "_".join(names)
        if item.nodeid.endswith(suffix):
            continue
        if hasattr(item, "_id"):
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(item.nodeid + suffix)
        else:  # pragma: no cover - pytest < 9
            item._nodeid = item.nodeid + suffix
