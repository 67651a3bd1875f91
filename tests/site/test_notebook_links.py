"""Every link of every rendered notebook resolves on the built site (issue 29).

The notebooks a learner opens (notebooks/student, notebooks/instructor) have nothing beside them
in Colab: each link must name a page of the published site (and an id on it), or a file of the
repository. The built site (``_build/html``, or ``PTCOURSE_SITE_DIR``) stands for the published one.
The resolver's own tests, on a fixture site, are tests/test_notebook_links.py.
"""

from __future__ import annotations

import sys

import pytest
from site_checks import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "press"))
import notebook_links as nl  # noqa: E402
import render_notebooks as rn  # noqa: E402

pytestmark = pytest.mark.site
KINDS = ("student", "instructor")


@pytest.mark.parametrize("kind", KINDS)
def test_every_notebook_link_resolves_on_the_built_site(kind, built_site):
    config = rn.load_config(REPO_ROOT)
    notebooks = sorted((REPO_ROOT / "notebooks" / kind).glob("*.ipynb"))
    assert notebooks, f"no rendered notebooks in notebooks/{kind}"
    found = nl.problems(
        notebooks,
        site=rn.site_url(config),
        site_dir=built_site,
        repository=rn.repository_url(config),
        root=REPO_ROOT,
    )
    assert not found, "\n  ".join(["links that go nowhere:", *found, "Fix: make student"])
