"""Sphinx extension: keep the site's browser assets local, so the site works with no network.

MathJax 4, tippy.js and Popper are vendored from npm (``package.json`` / ``package-lock.json``) into
``_static/vendor/`` by ``make vendor`` (``mk/site.mk``); ``_config.yml`` points ``mathjax_path`` and
sphinx-tippy's ``tippy_js`` at them instead of the default CDNs (jsDelivr, unpkg).

Two jobs:

* Jupyter Book 1 adds *every* ``*.js`` / ``*.css`` found under ``_static/`` to every page
  (``jupyter_book.config.get_final_config``). For ``_static/vendor/`` that would load all of
  MathJax's lazily-loaded components eagerly, so vendored files are dropped from
  ``html_js_files`` / ``html_css_files`` here; they are loaded only by whoever asks for them.
* If the vendored files are missing, the build stops with the command that makes them, instead of
  producing a site whose math and tooltips silently fail in the browser.

It also removes duplicate ``<script>`` entries from each page: an inline script added with
``app.add_js_file(None, body=...)`` after ``Builder.init`` (sphinx-thebe's ``const THEBE_JS_URL``,
sphinx-togglebutton's settings) is kept once with filename ``None`` and once, re-added from the
registry by ``StandaloneHTMLBuilder.prepare_writing``, with filename ``""``; the second ``const``
is a ``SyntaxError`` in the browser console on every page.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.errors import ConfigError

VENDOR_PREFIX = "vendor/"


def _asset_name(entry) -> str:
    """The file name of an ``html_js_files`` / ``html_css_files`` entry (a string or a tuple)."""
    return entry[0] if isinstance(entry, (tuple, list)) else entry


def _drop_vendored(app, config) -> None:
    for key in ("html_js_files", "html_css_files"):
        entries = list(getattr(config, key, None) or [])
        kept = [e for e in entries if not _asset_name(e).startswith(VENDOR_PREFIX)]
        setattr(config, key, kept)


def _required_files(config) -> list[str]:
    """Vendored files (relative to ``_static/``) that the configuration points at."""
    wanted = [config.mathjax_path, *getattr(config, "tippy_js", ())]
    return [p for p in wanted if isinstance(p, str) and p.startswith(VENDOR_PREFIX)]


def _check_vendored(app) -> None:
    if app.builder.format != "html":
        return
    static = Path(app.confdir) / "_static"
    missing = [p for p in _required_files(app.config) if not (static / p).is_file()]
    if missing:
        raise ConfigError(
            f"vendored browser assets missing under _static/: {', '.join(missing)}; "
            "run `make vendor` (npm ci + copy into _static/vendor/, see mk/site.mk)"
        )


def _js_key(js) -> tuple:
    attributes = getattr(js, "attributes", {}) or {}
    # Inline scripts are registered with filename None by the extension and re-added from the
    # registry with filename "" by Sphinx, so both spellings count as "no file".
    return (str(getattr(js, "filename", js) or ""), tuple(sorted(attributes.items())))


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = _js_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    # priority > 500 so that this runs after Jupyter Book has filled html_js_files.
    app.connect("config-inited", _drop_vendored, priority=900)
    app.connect("builder-inited", _check_vendored)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
