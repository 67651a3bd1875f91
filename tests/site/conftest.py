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


def pytest_configure(config):
    """Under pytest-xdist (``-n 2``), keep each page's checks on one worker.

    ``test_site_pages.py`` runs every per-page check in one audit per page and caches it in the
    worker; xdist's default ``load`` scheduling would spread one page's tests over both workers,
    each auditing the page again. ``loadgroup`` sends a group (a page, ``pytest_collection_
    modifyitems`` below) to one worker and balances the rest as ``load`` does.
    """
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"


def pytest_collection_modifyitems(config, items):
    """Group the tests that share a page's cached audit (``site_page``) for xdist's loadgroup."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "site_page" in callspec.params:
            item.add_marker(pytest.mark.xdist_group(f"page:{callspec.params['site_page']}"))
