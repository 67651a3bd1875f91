"""Fixtures for the browser tests: a local HTTP server, Debian's Chromium driven by Playwright.

Every test module here sets ``pytestmark = pytest.mark.site``. The built site is ``_build/html``
(override with ``PTCOURSE_SITE_DIR``). Chromium is ``/usr/bin/chromium`` (override with ``PTCOURSE_CHROMIUM``);
when it is missing the tests skip with the install command, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import site_checks as checks


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (skips or fails when it is missing)."""
    executable = os.environ.get("PTCOURSE_CHROMIUM", checks.CHROMIUM)
    if not Path(executable).exists():
        message = (
            f"Chromium not found at {executable}; install Debian's package: "
            "apt-get install -y chromium (never `playwright install`)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=executable, headless=True, args=checks.CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    """A fresh page (own context, so localStorage such as the colour mode does not leak)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser bundle, from npm (``make vendor`` runs ``npm ci``)."""
    if checks.AXE_JS.is_file():
        return checks.AXE_JS.read_text(encoding="utf8")
    pytest.fail("axe-core not found in node_modules/; run `make vendor` (npm ci)")


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The built site directory; fails when it has not been built."""
    path = checks.site_dir()
    if not (path / "index.html").is_file():
        pytest.fail(f"no built site at {path}; run make book first")
    return path


@pytest.fixture(scope="session")
def site_server(built_site):
    """The built site, served on localhost."""
    server = checks.LocalServer(built_site)
    yield server
    server.close()


def _page_of(item) -> str | None:
    """The built-site page a test checks: its ``site_page`` or ``rel`` parameter."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    for name in ("site_page", "rel"):
        if name in callspec.params:
            return str(callspec.params[name])
    return None


def _set_nodeid(item, nodeid: str) -> None:
    """Give ``item`` the test id ``nodeid`` (pytest 9 keeps it in ``_id``, earlier ones in
    ``_nodeid``, which is all pytest-xdist 3.8 sets)."""
    if hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(nodeid)
    else:
        item._nodeid = nodeid


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Group the tests that share a page's cached views (``site_views``) for xdist's loadgroup.

    ``site_views.view`` runs every check of a page on one load per width and caches the results
    in the worker, so one page's tests belong on one worker: ``make site-test`` passes
    ``-n 2 --dist loadgroup``, which sends a group (a page) to one worker and balances the rest
    as ``load`` does (without ``--dist loadgroup`` the tests still pass, each worker loading the
    pages it needs).

    The group is the ``xdist_group`` marker and, on a loadgroup worker, the ``@group`` suffix of
    the test id, which is what the controller schedules by. It is added here: pytest-xdist 3.8
    writes it where pytest 9 no longer reads a test id (``Item._nodeid``), so under pytest 9 its
    loadgroup silently ran every test on its own, each worker loading the same pages.
    """
    grouping = bool(getattr(config.option, "loadgroup", False))
    for item in items:
        page = _page_of(item)
        if page is None:
            continue
        group = f"page:{page}"
        item.add_marker(pytest.mark.xdist_group(group))
        if grouping and not item.nodeid.endswith(f"@{group}"):
            _set_nodeid(item, f"{item.nodeid}@{group}")
