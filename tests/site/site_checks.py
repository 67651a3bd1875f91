"""Browser checks of the published site (issue 7), as plain functions.

Each ``check_*`` function takes a Playwright page that is already showing the page under test
(plus whatever else it needs) and returns a list of problems, one readable string each; an empty list
means the check passed. The same functions run on every page of the built site
(``test_site.py``) and on small broken / good fixture pages (``test_checks_fixtures.py``), which show
that each check can fail.

Sources: Playwright's Python API (https://playwright.dev/python/docs/api/class-page), axe-core's
``axe.run`` API and impact levels (https://github.com/dequelabs/axe-core/blob/develop/doc/API.md),
MathJax 3's ``MathJax.startup.promise`` (https://docs.mathjax.org/en/v3.2-latest/web/typeset.html).
"""

from __future__ import annotations

import base64
import functools
import gzip
import io
import os
import re
import threading
import unicodedata
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"  # from npm: `make vendor`
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
COLAB_GITHUB = "https://colab.research.google.com/github/"

# TeX that MathJax should have turned into math: a $$ fence or a control word such as \frac.
RAW_TEX = re.compile(
    r"\$\$|\\(?:frac|begin|end|sum|prod|log|mathrm|mathbb|mathcal|left|right|sqrt)\b"
)

# Text nodes under these elements are code or machinery, not prose: skipped by the raw-TeX scan.
_VISIBLE_TEXT_JS = r"""
() => {
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEXTAREA", "PRE", "CODE", "KBD", "SAMP",
                        "MJX-CONTAINER", "MATH", "TEMPLATE"]);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let el = node.parentElement, ok = true;
    for (; el; el = el.parentElement) {
      if (skip.has(el.tagName.toUpperCase()) || el.classList.contains("highlight")) { ok = false; break; }
    }
    if (ok && node.textContent.trim()) out.push(node.textContent);
  }
  return out.join("\n");
}
"""

_MATHJAX_READY_JS = """
async () => {
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return false;
  await MathJax.startup.promise;
  return true;
}
"""


@dataclass
class PageLoad:
    """What happened on the network and console while a page loaded (filled by ``load_page``)."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Console errors, failed local requests, and requests that left the machine."""
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"failed request: {r}" for r in self.failed_requests]
            + [
                f"request to another host (site must work offline): {r}"
                for r in self.external_requests
            ]
        )


def _is_local(url: str) -> bool:
    return urlsplit(url).hostname in LOCAL_HOSTS


def load_page(page, url: str, *, dark: bool = False, timeout_ms: int = 30_000) -> PageLoad:
    """Open ``url`` in ``page``, recording console errors and failed or off-machine requests.

    Requests to other hosts are aborted (and recorded): the site must not need the network.
    Waits for the ``load`` event and for MathJax's first typeset pass when MathJax is on the page.
    """
    record = PageLoad(url)

    def on_console(msg):
        if msg.type == "error":
            record.console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    def on_request_failed(request):
        if _is_local(request.url):
            record.failed_requests.append(f"{request.url} ({request.failure})")

    def on_response(response):
        if _is_local(response.url) and response.status >= 400:
            record.failed_requests.append(f"{response.url} (HTTP {response.status})")

    def on_route(route):
        url_ = route.request.url
        if url_.startswith(("data:", "blob:", "about:")) or _is_local(url_):
            route.continue_()
        else:
            record.external_requests.append(url_)
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: record.console_errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    page.route("**/*", on_route)
    if dark:
        # pydata-sphinx-theme reads the colour mode from localStorage before first paint.
        page.add_init_script(
            "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
        )
    try:
        page.goto(url, wait_until="load", timeout=timeout_ms)
        page.evaluate(_MATHJAX_READY_JS)
        if dark:
            page.evaluate(
                "() => { const h = document.documentElement;"
                " h.dataset.theme = 'dark'; h.dataset.mode = 'dark'; }"
            )
    finally:
        # Late listeners would otherwise pile up when the same page object is reused.
        page.remove_listener("console", on_console)
        page.remove_listener("requestfailed", on_request_failed)
        page.remove_listener("response", on_response)
        page.unroute("**/*", on_route)
    return record


def check_math(page) -> list[str]:
    """Math is rendered: MathJax output wherever Sphinx emitted math, and no raw TeX in the text."""
    problems = []
    n_math = page.locator(".math, span.math, div.math").count()
    n_rendered = page.locator("mjx-container").count()
    if n_math and not n_rendered:
        problems.append(f"{n_math} math element(s) but no MathJax output (mjx-container)")
    text = page.evaluate(_VISIBLE_TEXT_JS)
    for match in RAW_TEX.finditer(text):
        start = max(0, match.start() - 40)
        snippet = text[start : match.end() + 40].replace("\n", " ")
        problems.append(f"raw TeX visible: ...{snippet}...")
    wide = page.evaluate(_WIDE_MATH_JS)
    for where, needed, available in wide:
        problems.append(
            f"display equation near #{where} needs {needed}px but its column has {available}px "
            "(break it with aligned/gathered)"
        )
    return problems


# Display equations whose rendered width exceeds their column: readers would have to scroll sideways.
_WIDE_MATH_JS = """() => [...document.querySelectorAll('mjx-container[display="true"]')]
  .filter(el => el.scrollWidth > el.clientWidth + 2)
  .map(el => [(el.closest('[id]') || {}).id || '?', el.scrollWidth, el.clientWidth])"""


class _IdCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


def _ids_in(file: Path, cache: dict[Path, set[str]]) -> set[str]:
    if file not in cache:
        parser = _IdCollector()
        parser.feed(file.read_text(encoding="utf8", errors="replace"))
        cache[file] = parser.ids
    return cache[file]


def _local_file(site_dir: Path, url_path: str) -> Path:
    path = site_dir / unquote(url_path).lstrip("/")
    return path / "index.html" if url_path.endswith("/") or path.is_dir() else path


def check_links(page, site_dir: Path, id_cache: dict | None = None) -> list[str]:
    """Every internal link and #anchor on the page resolves to an existing file and element id."""
    id_cache = {} if id_cache is None else id_cache
    site_dir = Path(site_dir)
    here = urlsplit(page.url)
    hrefs = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => [e.getAttribute('href'), e.href])"
    )
    problems = []
    for raw, absolute in sorted(set(map(tuple, hrefs))):
        if raw in ("", "#") or raw.startswith(("javascript:", "mailto:")):
            continue
        target = urlsplit(urljoin(page.url, raw) if not absolute else absolute)
        if target.scheme not in ("http", "https") or target.netloc != here.netloc:
            continue
        file = _local_file(site_dir, target.path)
        if not file.is_file():
            problems.append(f"broken link {raw!r}: {file.relative_to(site_dir)} does not exist")
            continue
        if target.fragment and file.suffix == ".html":
            anchor = unquote(target.fragment)
            if anchor not in _ids_in(file, id_cache):
                problems.append(f"broken anchor {raw!r}: no id {anchor!r} in {file.name}")
    return problems


def check_images(page) -> list[str]:
    """Every image has non-empty alt text (inline SVG images: an aria-label or <title>).

    Inline SVG icons hidden from assistive technology (``aria-hidden="true"``, e.g. the theme's
    Font Awesome icons) are decoration, not images, and are skipped.
    """
    missing = page.eval_on_selector_all(
        "img, svg[role='img']:not([aria-hidden='true'])",
        """els => els.filter(e => e.tagName.toLowerCase() === 'img'
                 ? !(e.getAttribute('alt') || '').trim()
                 : !((e.getAttribute('aria-label') || '').trim()
                     || (e.querySelector('title') && e.querySelector('title').textContent.trim())))
             .map(e => e.outerHTML.slice(0, 160))""",
    )
    return [f"image without alt text: {html}" for html in missing]


def check_axe(page, axe_source: str, impacts=("critical",)) -> list[str]:
    """axe-core finds no accessibility violation of the given impact (default: critical).

    The rules of other impacts are switched off: axe-core sets every violation's impact to its
    rule's (``_finalizeRuleResult`` in axe.js), so they could only report what is ignored here,
    and they are the slow ones (colour contrast alone takes seconds on a chapter). The rules
    that do run are the ones a default ``axe.run`` would. When a rule has no impact of its own,
    every rule runs, as before.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    violations = page.evaluate(
        """async (impacts) => {
            const rules = (axe._audit && axe._audit.rules) || [];
            const options = {resultTypes: ['violations']};
            if (rules.length && rules.every(r => r.impact)) {
                // Switch the other rules off; axe's own choice of the rest (its defaults,
                // experimental rules left out) is unchanged.
                options.rules = Object.fromEntries(rules.filter(r => !impacts.includes(r.impact))
                                                        .map(r => [r.id, {enabled: false}]));
            }
            const r = await axe.run(document, options);
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""",
        list(impacts),
    )
    return [
        f"axe {v['impact']} {v['id']}: {v['help']} at {v['nodes']}"
        for v in violations
        if v["impact"] in impacts
    ]


def glossary_term_links(page, limit: int = 3) -> list[str]:
    """Up to ``limit`` distinct hrefs of glossary-term links ({term} roles) in the article."""
    hrefs = page.eval_on_selector_all(
        "a.reference.internal:has(span.std-term)", "els => els.map(e => e.getAttribute('href'))"
    )
    seen: list[str] = []
    for href in hrefs:
        if href not in seen:
            seen.append(href)
    return seen[:limit]


def check_glossary_hover(page, href: str, timeout_ms: int = 3000) -> list[str]:
    """Hovering the first link to ``href`` shows a tooltip holding the glossary entry's definition.

    The tooltip is found through the link's ``aria-describedby`` (tippy.js sets it to the
    tooltip's id while shown), so a previous tooltip still fading out is never mistaken for it.
    """
    link = page.locator(f'a[href="{href}"]').first
    if link.count() == 0:
        return [f"no link to {href!r} on the page"]
    link.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    link.hover()
    tip_id = None
    for _ in range(max(1, timeout_ms // 100)):
        tip_id = link.get_attribute("aria-describedby")
        if tip_id:
            break
        page.wait_for_timeout(100)
    if not tip_id:
        return [f"hovering {href!r} showed no tooltip within {timeout_ms} ms"]
    tip = page.locator(f'[id="{tip_id}"] .tippy-content')
    try:
        tip.first.wait_for(state="visible", timeout=timeout_ms)
    except Exception:  # Playwright's TimeoutError
        return [f"hovering {href!r} showed no visible tooltip within {timeout_ms} ms"]
    definition = tip.first.locator("dd").all_inner_texts()
    text = " ".join(definition).strip()
    problems = []
    if not text:
        problems.append(
            f"tooltip for {href!r} has no definition (<dd>): {tip.first.inner_text()!r}"
        )
    # Math in a definition is typeset when the tip opens (tippy_enable_mathjax); allow it a moment.
    for _ in range(15):
        raw = RAW_TEX.search(text) or re.search(r"\\[(\[]", text)
        if not raw:
            break
        page.wait_for_timeout(100)
        text = " ".join(tip.first.locator("dd").all_inner_texts())
    else:
        problems.append(f"tooltip for {href!r} shows raw TeX: {text[:120]!r}")
    page.mouse.move(0, 0)
    return problems


def check_colab_badges(
    page, repo_root: Path, repository_url: str, branch: str, *, required: bool = False
) -> list[str]:
    """Each Colab badge opens ``repository_url``@``branch`` at a notebook that exists in the repo."""
    slug = repository_url.rstrip("/").removeprefix("https://github.com/").removesuffix(".git")
    prefix = f"{COLAB_GITHUB}{slug}/blob/{branch}/"
    hrefs = page.eval_on_selector_all(
        ".colab-badge a[href], a[href^='https://colab.research.google.com/']",
        "els => els.map(e => e.getAttribute('href'))",
    )
    problems = []
    if required and not hrefs:
        problems.append("chapter page has no Colab badge")
    for href in sorted(set(hrefs)):
        if not href.startswith(prefix):
            problems.append(f"Colab badge {href!r} does not start with {prefix!r}")
            continue
        rel = unquote(href[len(prefix) :].split("?")[0].split("#")[0])
        file = Path(repo_root) / rel
        if not rel.endswith(".ipynb"):
            problems.append(f"Colab badge {href!r} does not point at a .ipynb notebook")
        elif ".." in Path(rel).parts or not file.is_file():
            problems.append(f"Colab badge {href!r}: {rel} does not exist in the repository")
    return problems


_DIAL_STATE_JS = """
dial => {
  const values = [...dial.querySelectorAll('.ptc-dial-value')].map(e => e.textContent.trim());
  const figs = dial.querySelectorAll('.ptc-dial-figure').length
      ? dial.querySelectorAll('.ptc-dial-figure') : dial.querySelectorAll('img, svg');
  const figure = [...figs].map(f => (f.getAttribute('src') || '') + f.innerHTML);
  return {values: values.join(' | '), figure: figure.join(' | ')};
}
"""


def check_dials(page, timeout_ms: int = 2000) -> list[str]:
    """Moving each kernel-free dial's slider changes both its shown number and its figure."""
    problems = []
    dials = page.locator(".ptc-dial")
    for i in range(dials.count()):
        dial = dials.nth(i)
        name = dial.get_attribute("data-dial") or f"#{i}"
        sliders = dial.locator("input[type='range']")
        if sliders.count() == 0:
            problems.append(f"dial {name}: no slider (input[type=range])")
            continue
        if dial.locator(".ptc-dial-value").count() == 0:
            problems.append(f"dial {name}: no shown number (.ptc-dial-value)")
        for j in range(sliders.count()):
            slider = sliders.nth(j)
            slider.scroll_into_view_if_needed()
            before = dial.evaluate(_DIAL_STATE_JS)
            at_max = slider.evaluate("s => Number(s.value) >= Number(s.max || 100)")
            slider.focus()
            # Keyboard moves a range input like a user does, firing 'input' and 'change'.
            page.keyboard.press("Home" if at_max else "End")
            after = before
            for _ in range(max(1, timeout_ms // 100)):
                after = dial.evaluate(_DIAL_STATE_JS)
                if after["values"] != before["values"] and after["figure"] != before["figure"]:
                    break
                page.wait_for_timeout(100)
            if after["values"] == before["values"]:
                problems.append(f"dial {name} slider {j}: shown number stayed {before['values']!r}")
            if after["figure"] == before["figure"]:
                problems.append(f"dial {name} slider {j}: figure did not change")
    return problems


def check_search(page, base_url: str, query: str, expected_page: str, timeout_ms=15_000):
    """The site's search page, asked for ``query``, lists ``expected_page`` among its results."""
    page.goto(f"{base_url.rstrip('/')}/search.html?q={query}", wait_until="load")
    try:
        page.wait_for_selector("#search-results .search-summary", timeout=timeout_ms)
    except Exception:  # Playwright's TimeoutError
        return [f"search for {query!r} did not finish within {timeout_ms} ms"]
    hrefs = page.eval_on_selector_all(
        "#search-results a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    if not any(urlsplit(h).path.endswith(expected_page) for h in hrefs):
        return [f"search for {query!r} did not list {expected_page}: {hrefs[:10]}"]
    return []


def screenshot(page, path: Path) -> Path:
    """Full-page PNG of the current page at ``path`` (parents created).

    Chromium's own capture (DevTools ``Page.captureScreenshot`` beyond the viewport, PNG encoded
    for speed: about half the time of ``page.screenshot(full_page=True)`` on a long chapter);
    Playwright's full-page screenshot when that is not available.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        cdp = page.context.new_cdp_session(page)
        try:
            size = cdp.send("Page.getLayoutMetrics")["cssContentSize"]
            shot = cdp.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "optimizeForSpeed": True,
                    "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                             "scale": 1},
                },
            )  # fmt: skip
        finally:
            cdp.detach()
        path.write_bytes(base64.b64decode(shot["data"]))
    except Exception:  # not Chromium, or an older one: Playwright's own full-page screenshot
        page.screenshot(path=str(path), full_page=True)
    return path


def site_dir() -> Path:
    """The built site's directory (``$PTCOURSE_SITE_DIR`` or ``_build/html``)."""
    path = Path(os.environ.get("PTCOURSE_SITE_DIR", REPO_ROOT / "_build" / "html"))
    return path if path.is_absolute() else REPO_ROOT / path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
        pass


class _GzipHandler(_QuietHandler):
    """Compresses text files (HTML, CSS, JS, SVG, JSON) with gzip, as GitHub Pages serves them."""

    COMPRESSED = {".html", ".css", ".js", ".svg", ".json", ".txt", ".inv"}

    def do_GET(self):  # noqa: N802 - name fixed by http.server
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants and path.suffix in self.COMPRESSED and path.is_file()):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


class LocalServer:
    """A threaded ``http.server`` serving ``root`` on a free localhost port, until ``close``.

    ``compress``: gzip text files, as GitHub Pages does (the benchmark's second case).
    """

    def __init__(self, root: Path, compress: bool = False):
        handler = functools.partial(
            _GzipHandler if compress else _QuietHandler, directory=str(root)
        )
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self.httpd.shutdown()
        self.httpd.server_close()


# --- issue 15: the site on every screen -------------------------------------------------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# At most this share of a page's display equations may need a sideways scroll at phone width.
MAX_SCROLLING_EQUATIONS = 0.1
# A chapter's first visit, all requests together (uncompressed bytes).
MAX_PAGE_BYTES = 2_500_000

# Render-blocking CSS of one page (issue 29): every stylesheet its <head> links (and what they
# @import), uncompressed; 0.58-0.60 MB a page before the theme's sheets were trimmed
# (_ext/trim_css.py).
MAX_BLOCKING_CSS_BYTES = 180_000

_HEAD = re.compile(r"<head\b.*?</head>", re.S | re.I)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_CSS_IMPORT = re.compile(r'@import\s+(?:url\()?["\']?([^"\')\s;]+)')


def _attr(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>]+))', tag, re.I)
    return None if found is None else next(g for g in found.groups() if g is not None)


def blocking_css(site: Path, rel: str) -> dict[str, int]:
    """The stylesheets that hold up the first paint of page ``rel`` of the built ``site``: each
    ``<link rel="stylesheet">`` of its head that is not print-only, disabled or an alternate,
    and every sheet those @import, as {path relative to the site: bytes}. Read from the files,
    no browser: what a first visit must download before it can paint."""
    page = site / rel
    head = _HEAD.search(page.read_text(encoding="utf8", errors="replace"))
    sizes: dict[str, int] = {}

    def add(file: Path) -> None:
        file = file.resolve()
        key = file.relative_to(site.resolve()).as_posix() if file.is_file() else str(file)
        if key in sizes:
            return
        if not file.is_file():
            sizes[key] = 0  # a missing sheet: check_links and the load checks report it
            return
        text = file.read_text(encoding="utf8", errors="replace")
        sizes[key] = len(text.encode())
        for ref in _CSS_IMPORT.findall(text):
            add(file.parent / unquote(ref.split("?")[0]))

    for tag in _LINK_TAG.findall(head.group(0) if head else ""):
        rels = (_attr(tag, "rel") or "").lower().split()
        href = _attr(tag, "href")
        media = (_attr(tag, "media") or "all").strip().lower()
        if "stylesheet" not in rels or "alternate" in rels or href is None:
            continue
        if media == "print" or re.search(r"\bdisabled\b", tag, re.I) or "://" in href:
            continue
        add(page.parent / unquote(href.split("?")[0].split("#")[0]))
    return sizes


def check_blocking_css(site: Path, rel: str, limit: int = MAX_BLOCKING_CSS_BYTES) -> list[str]:
    """Page ``rel`` links at most ``limit`` bytes (uncompressed) of render-blocking CSS."""
    sizes = blocking_css(site, rel)
    total = sum(sizes.values())
    if total <= limit:
        return []
    top = ", ".join(
        f"{name.rsplit('/', 1)[-1]} {n / 1e3:.0f} kB"
        for name, n in sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    )
    return [
        f"{rel}: {total / 1e3:.0f} kB of render-blocking CSS > {limit / 1e3:.0f} kB; largest: {top}"
    ]


_TOGGLE_STATE_JS = """(kind) => {
  const dialog = document.getElementById(`pst-${kind}-sidebar-modal`);
  const sidebar = document.getElementById(`pst-${kind}-sidebar`);
  const shown = (el) => !!el && el.getClientRects().length > 0
      && getComputedStyle(el).visibility !== 'hidden' && el.getBoundingClientRect().width > 1;
  return {dialog: !!dialog && dialog.open && shown(dialog)
                  && dialog.querySelector('nav, .bd-toc-nav, .bd-docs-nav, .toc-entry, a') !== null,
          sidebar: shown(sidebar) && !sidebar.classList.contains('pst-sidebar-hidden')};
}"""


def check_sidebar_toggle(page, kind: str = "primary", timeout_ms: int = 2000) -> list[str]:
    """Clicking the *visible* ``.{kind}-toggle`` button opens its drawer or toggles its sidebar.

    ``kind`` is ``primary`` (site navigation) or ``secondary`` (this page's contents). On a phone
    the themes open a ``<dialog id="pst-{kind}-sidebar-modal">`` holding the sidebar's links; on a
    desktop the primary button collapses or restores the sidebar. Either change counts; neither
    (a button that only shows its tooltip) is reported.
    """
    if kind not in ("primary", "secondary"):
        raise ValueError(f"kind must be 'primary' or 'secondary', got {kind!r}")
    buttons = page.locator(f".{kind}-toggle")
    visible = [buttons.nth(i) for i in range(buttons.count()) if buttons.nth(i).is_visible()]
    if not visible:
        return [f"no visible .{kind}-toggle button"]
    problems = []
    for button in visible:
        before = page.evaluate(_TOGGLE_STATE_JS, kind)
        button.click()
        after = before
        for _ in range(max(1, timeout_ms // 100)):
            page.wait_for_timeout(100)
            after = page.evaluate(_TOGGLE_STATE_JS, kind)
            if after["dialog"] or after["sidebar"] != before["sidebar"]:
                break
        label = button.get_attribute("aria-label") or button.get_attribute("title") or kind
        if not (after["dialog"] or after["sidebar"] != before["sidebar"]):
            problems.append(
                f"clicking the visible {kind} button ({label!r}) opened no drawer and "
                "did not toggle the sidebar"
            )
        if after["dialog"]:
            page.keyboard.press("Escape")
            page.wait_for_timeout(200)
        elif after["sidebar"] != before["sidebar"]:
            button.click()  # put the sidebar back for the next check
            page.wait_for_timeout(200)
    return problems


_EQUATION_OVERFLOW_JS = """() => [...document.querySelectorAll('mjx-container[display="true"]')]
  .filter(el => el.getClientRects().length > 0)  // the shown one of a phone/desktop pair
  .map(el => {
    const s = getComputedStyle(el);
    const scrollable = ['auto', 'scroll'].includes(s.overflowX);
    const cue = scrollable && (s.borderBottomStyle !== 'none' || s.backgroundImage !== 'none');
    return {id: (el.closest('[id]') || {}).id || '?', needed: el.scrollWidth,
            available: el.clientWidth, overflows: el.scrollWidth > el.clientWidth + 2, cue};
  })"""


def check_equations_fit(page, max_share: float = MAX_SCROLLING_EQUATIONS) -> list[str]:
    """At most ``max_share`` of the display equations need a sideways scroll, each with a cue.

    Run at phone width (``PHONE``). An equation needs a scroll when its content is wider than its
    box; the cue is a scrollable box with a visible marker (a border or a fade) so that a reader
    knows there is more to the right.
    """
    if not 0 <= max_share <= 1:
        raise ValueError(f"max_share must lie in [0, 1], got {max_share!r}")
    equations = page.evaluate(_EQUATION_OVERFLOW_JS)
    wide = [e for e in equations if e["overflows"]]
    problems = []
    if equations and len(wide) > max_share * len(equations):
        problems.append(
            f"{len(wide)} of {len(equations)} display equations need a sideways scroll "
            f"(at most {max_share:.0%} may): near "
            + ", ".join(f"#{e['id']} ({e['needed']}px in {e['available']}px)" for e in wide[:8])
        )
    for e in wide:
        if not e["cue"]:
            problems.append(
                f"display equation near #{e['id']} scrolls sideways with no visible cue"
            )
    return problems


def page_weight(browser, url: str, viewport=DESKTOP) -> tuple[int, dict[str, int]]:
    """Bytes of every response on a first visit to ``url`` (fresh context, so nothing cached).

    Waits for the load event, MathJax's typeset if the page typesets, and the fonts (network idle).
    Returns the total and the bytes per URL, largest first.
    """
    context = browser.new_context(viewport=viewport)
    sizes: dict[str, int] = {}
    try:
        page = context.new_page()

        def on_finished(request):
            try:
                response = request.response()
                if response is not None:
                    sizes[request.url] = len(response.body())
            except Exception:  # a redirect, an aborted body, a closed page: no bytes to count
                sizes.setdefault(request.url, 0)

        page.on("requestfinished", on_finished)
        page.goto(url, wait_until="load")
        page.evaluate(_MATHJAX_READY_JS)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    ordered = dict(sorted(sizes.items(), key=lambda kv: -kv[1]))
    return sum(ordered.values()), ordered


# Requests a page of this site must not make (issue 15): MathJax's JavaScript (the math is
# pre-rendered at build time, _ext/prerender_math.py) and Font Awesome's webfonts (icons are SVG).
_NEEDLESS = (
    (re.compile(r"/mathjax/.*\.js$"), "MathJax JavaScript (math should be pre-rendered)"),
    (re.compile(r"/webfonts/fa-[^/]*$"), "a Font Awesome webfont (icons should be SVG)"),
)


def check_page_weight(browser, url: str, limit: int = MAX_PAGE_BYTES) -> list[str]:
    """A first visit to ``url`` downloads at most ``limit`` bytes (uncompressed), all requests,
    and never MathJax's JavaScript or a Font Awesome webfont."""
    total, sizes = page_weight(browser, url)
    return weight_problems(total, sizes, limit)


def weight_problems(total: int, sizes: dict[str, int], limit: int = MAX_PAGE_BYTES) -> list[str]:
    """``check_page_weight``'s verdict on a measured first visit (``page_weight``'s result)."""
    problems = []
    for u in sizes:
        path = urlsplit(u).path
        for pattern, what in _NEEDLESS:
            if pattern.search(path):
                problems.append(f"first visit loads {what}: {path.rsplit('/', 1)[-1]}")
    if total <= limit:
        return problems
    top = ", ".join(
        f"{urlsplit(u).path.rsplit('/', 1)[-1]} {n / 1e6:.2f} MB"
        for u, n in list(sizes.items())[:5]
    )
    return [
        f"first visit weighs {total / 1e6:.2f} MB > {limit / 1e6:.2f} MB; largest: {top}",
        *problems,
    ]


class WeightRecorder:
    """Counts the bytes of every response ``page`` receives, as ``page_weight`` does, until ``stop``.

    Attach it to a fresh context's page before its first ``goto``: that page's first visit is then
    measured while the page is also used for other checks.
    """

    def __init__(self, page):
        self.page = page
        self.sizes: dict[str, int] = {}
        page.on("requestfinished", self._on_finished)

    def _on_finished(self, request):
        try:
            response = request.response()
            if response is not None:
                self.sizes[request.url] = len(response.body())
        except Exception:  # a redirect, an aborted body, a closed page: no bytes to count
            self.sizes.setdefault(request.url, 0)

    def stop(self) -> tuple[int, dict[str, int]]:
        """Wait for the network to go idle (fonts), stop counting; the total and bytes per URL."""
        self.page.wait_for_load_state("networkidle")
        self.page.remove_listener("requestfinished", self._on_finished)
        ordered = dict(sorted(self.sizes.items(), key=lambda kv: -kv[1]))
        return sum(ordered.values()), ordered


def check_math_without_js(browser, url: str, viewport=PHONE) -> list[str]:
    """Every formula is readable with JavaScript off: it arrived rendered (issue 15, late math).

    A site that typesets in the browser shows raw TeX until its MathJax has downloaded and run
    (about 10 s on a slow link); pre-rendered math is in the HTML. With scripts disabled, each
    ``.math`` element must already hold MathJax output and no TeX may be visible.
    """
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        bare = page.eval_on_selector_all(
            "span.math, div.math",
            "els => els.filter(e => !e.querySelector('mjx-container')).length",
        )
        problems = check_math(page)
    finally:
        context.close()
    if bare:
        problems.insert(0, f"{bare} formula(s) show no rendered math without JavaScript")
    return problems


def check_glossary_sorted(page) -> list[str]:
    """The glossary is one list in alphabetical order (case and accents ignored).

    Only an entry's first name is compared (the others are its aliases). Two ``{glossary}``
    blocks, each sorted, read as two alphabetical runs: reported as such.
    """
    lists = page.eval_on_selector_all(
        "dl.glossary",
        """els => els.map(dl => [...dl.children].filter((c, i, all) =>
              c.tagName === 'DT' && (i === 0 || all[i - 1].tagName === 'DD'))
            .map(dt => dt.textContent.replace(/[#¶]$/, '').trim()))""",
    )
    if not lists:
        return ["no glossary list (dl.glossary) on the page"]
    problems = []
    if len(lists) > 1:
        problems.append(f"the glossary is {len(lists)} separate lists, not one")
    terms = [t for run in lists for t in run]

    def key(term: str) -> str:
        return unicodedata.normalize("NFD", term).lower()

    for before, after in zip(terms, terms[1:], strict=False):
        if key(after) < key(before):
            problems.append(f"glossary out of order: {after!r} comes after {before!r}")
    return problems


def check_icons_drawn(page) -> list[str]:
    """Every Font Awesome icon (``<i>`` / ``<span class="fa-solid fa-...">``) was drawn as SVG."""
    styles = ["fa-solid", "fa-regular", "fa-brands", "fas", "far", "fab"]
    selector = ", ".join(f"{tag}.{c}" for c in styles for tag in ("i", "span"))
    left = page.eval_on_selector_all(selector, "els => els.map(e => e.className)")
    problems = [f"icon not drawn (no SVG for it): class={c!r}" for c in left]
    # Each visible button of the article header shows something: an icon of nonzero size or text.
    blank = page.eval_on_selector_all(
        ".article-header-buttons button, .article-header-buttons a.btn",
        """els => els.filter(b => b.getClientRects().length && getComputedStyle(b).visibility !== 'hidden')
           .filter(b => ![...b.querySelectorAll('svg, img')].some(i => i.getBoundingClientRect().width > 4)
                        && !b.innerText.trim())
           .map(b => b.getAttribute('aria-label') || b.getAttribute('title') || b.className)""",
    )
    problems += [f"header button shows no icon: {label!r}" for label in blank]
    return problems


def check_solution_title_opens(page, timeout_ms: int = 1000) -> list[str]:
    """Clicking the link in a closed solution's title opens the solution (not a jump away).

    sphinx-exercise titles a solution "Solution to <a href=#exercise>Exercise N</a>"; the rest of
    the title toggles it (sphinx-togglebutton). The check clicks the link of the first solution
    and expects the solution's content to be shown, and the page not to have scrolled away.
    """
    solution = page.locator(".solution.dropdown:has(> .admonition-title a)").first
    if solution.count() == 0:
        return []
    body = solution.locator(":scope > :not(.admonition-title)").first
    if body.count() and body.is_visible():
        return ["a closed solution is already shown before its title is clicked"]
    link = solution.locator(":scope > .admonition-title a").first
    link.scroll_into_view_if_needed()
    before = page.evaluate("() => window.scrollY")
    link.click()
    shown = False
    for _ in range(max(1, timeout_ms // 100)):
        page.wait_for_timeout(100)
        if body.count() and body.is_visible():
            shown = True
            break
    problems = []
    if not shown:
        problems.append("clicking the solution title's link did not open the solution")
    after = page.evaluate("() => window.scrollY")
    if abs(after - before) > 200:
        problems.append(
            f"clicking the solution title's link scrolled the page ({before} -> {after})"
        )
    return problems


_OVERFLOWING_PRE_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.getClientRects().length && el.scrollWidth > el.clientWidth + 2)
  .map(el => el.textContent.trim().slice(0, 60))"""


def check_outputs_wrap(page) -> list[str]:
    """No code cell output needs a sideways scroll: long output lines wrap."""
    wide = page.evaluate(_OVERFLOWING_PRE_JS, ".cell_output pre")
    return [f"cell output scrolls sideways instead of wrapping: {t!r}" for t in wide]


def check_print(page) -> list[str]:
    """In print, code lines wrap at the margin and no "Show code cell source" bar is printed."""
    page.emulate_media(media="print")
    try:
        wide = page.evaluate(_OVERFLOWING_PRE_JS, "pre")
        bars = page.eval_on_selector_all(
            "details > summary",
            "els => els.filter(e => e.getClientRects().length).map(e => e.textContent.trim())",
        )
    finally:
        page.emulate_media(media="screen")
    problems = [f"printed code line cut at the margin: {t!r}" for t in wide]
    problems += [f"printed toggle bar: {t!r}" for t in bars if t]
    return problems


def check_favicon(page) -> list[str]:
    """The page names a favicon (``<link rel="icon">``); a missing file fails the load check."""
    icons = page.eval_on_selector_all("link[rel~='icon']", "els => els.map(e => e.href)")
    return [] if icons else ["no favicon (<link rel='icon'>)"]


def check_search_snippets(page) -> list[str]:
    """The snippets under the search results on the page hold prose, not menus or raw TeX.

    Run on ``search.html?q=...`` once its results are in. Flags the download menu's text
    (".md", ".ipynb") and TeX source (``\\frac``, ``\\(`` ...) in any snippet.
    """
    page.wait_for_timeout(500)  # snippets arrive one fetch per result, after the list
    snippets = page.eval_on_selector_all(
        "#search-results p.context", "els => els.map(e => e.textContent)"
    )
    problems = []
    for text in snippets:
        short = text.strip()[:90]
        if re.search(r"\.\.\.\.md|\.ipynb\s*\.md|\.md\s*\.pdf", text):
            problems.append(f"search snippet shows the download menu: {short!r}")
        if RAW_TEX.search(text) or re.search(r"\\[(\[]", text):
            problems.append(f"search snippet shows raw TeX: {short!r}")
    return problems


def check_references(page) -> list[str]:
    """Each bibliography entry is labelled author-year (as the chapters cite) and links back.

    sphinxcontrib-bibtex's entries are ``div.citation``; the back links are the "Cited in" links
    that ``_ext/cite_backlinks.py`` adds (any link out of the entry to another page's ``#id``).
    """
    entries = page.eval_on_selector_all(
        "div.citation",
        """els => els.map(e => ({label: (e.querySelector('.label') || {}).textContent || '',
              back: [...e.querySelectorAll('a[href*="#"]')].filter(a => !a.closest('.label')
                      && !/^https?:/.test(a.getAttribute('href'))).length}))""",
    )
    problems = []
    for e in entries:
        label = e["label"].strip().strip("[]")
        if re.fullmatch(r"\d+", label):
            problems.append(f"numbered entry [{label}] while the chapters cite author-year")
        if not e["back"]:
            problems.append(f"entry {e['label'].strip()!r} has no link back to where it is cited")
    return problems


# --- issue 16: the self-check quizzes ------------------------------------------------------------


def check_quiz(page, chapter: str) -> list[str]:
    """Problems with the quiz of ``chapter`` on the open page (empty when every answer is right)."""
    import quiz  # the quiz data and its grader

    problems = []
    root = page.locator(f'div.ptc-quiz[data-quiz="{chapter}"]')
    if root.count() != 1:
        return [f"quiz {chapter}: {root.count()} quiz blocks on the page, expected 1"]
    width = page.evaluate("() => document.documentElement.clientWidth")
    box = root.bounding_box()
    if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 1:
        problems.append(f"quiz {chapter}: the quiz box {box} does not fit the {width}px viewport")
    wide = root.evaluate(
        "(r) => [...r.querySelectorAll('fieldset, label, legend, p')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    if wide:
        problems.append(f"quiz {chapter}: {wide} elements scroll sideways")
    fieldsets = root.locator("fieldset.ptc-quiz-q")
    questions = quiz.displayed(quiz.load(chapter))
    if fieldsets.count() != len(questions):
        return [
            *problems,
            f"quiz {chapter}: {fieldsets.count()} questions, expected {len(questions)}",
        ]

    def verdict(fs, expect_ok: bool, expect_text: str, what: str) -> None:
        fb = fs.locator("p.ptc-quiz-feedback")
        # One round trip for both (each option is clicked and read: ~100 per chapter).
        got, text = fb.evaluate("e => [e.getAttribute('data-verdict'), e.innerText]")
        # The explanation's words around its formulas ($TeX$, rendered) and code (`x`).
        words = [w.strip() for w in re.split(r"\$[^$]+\$|`[^`]+`", expect_text) if w.strip()]
        if got != ("correct" if expect_ok else "wrong") or any(w not in text for w in words):
            problems.append(f"quiz {chapter} {what}: page says {got!r} {text!r}")

    for i, q in enumerate(questions):
        fs = fieldsets.nth(i)
        if isinstance(q, quiz.Choice):
            labels = fs.locator("label.ptc-quiz-option")
            for j in range(len(q.options)):
                labels.nth(j).click()
                ok, why = quiz.grade(q, j)
                verdict(fs, ok, why, f"q{i + 1} option {j + 1}")
        else:
            for value in (q.answer, *(m.value for m in q.mistakes), q.answer + 1000):
                fs.locator("input.ptc-quiz-number").fill(repr(value))
                fs.locator("button.ptc-quiz-check").click()
                ok, why = quiz.grade(q, value)
                verdict(fs, ok, why, f"q{i + 1} answer {value}")
    return problems


# --- issue 15: figures are sharp and their text readable (test_site_figures.py) ------------------

MIN_PIXEL_RATIO = 1.5
_IMAGES_JS = """() => [...document.querySelectorAll('.bd-article img')]
  .filter(i => i.getClientRects().length && i.getBoundingClientRect().width > 0)
  .map(i => ({src: i.currentSrc || i.src, natural: i.naturalWidth,
              shown: i.getBoundingClientRect().width, figure: !!i.closest('.cell_output'),
              alt: (i.getAttribute('alt') || '').slice(0, 60)}))"""


def _is_svg(src: str) -> bool:
    return src.split("?")[0].lower().endswith(".svg") or src.startswith("data:image/svg")


def _name(image: dict) -> str:
    return f"{image['src'].rsplit('/', 1)[-1][:16]} ({image['alt']!r})"


def article_images(page) -> list[dict]:
    """The visible article images: source URL, pixel width, displayed CSS width, figure or not."""
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    return page.evaluate(_IMAGES_JS)


def check_images_sharp(page, min_ratio: float = MIN_PIXEL_RATIO) -> list[str]:
    """Every article image is an SVG or has >= ``min_ratio`` pixels per CSS pixel it is shown at."""
    problems = []
    for image in article_images(page):
        if _is_svg(image["src"]):
            continue
        ratio = image["natural"] / image["shown"]
        if ratio < min_ratio:
            problems.append(
                f"image {_name(image)} has {image['natural']} px for {image['shown']:.0f} CSS px "
                f"({ratio:.2f}x < {min_ratio}x): render it at 2x (ptcourse.viz does) or as SVG"
            )
    return problems


def figure_text_px(png: bytes, shown: float) -> float | None:
    """The smallest text of a figure PNG in CSS px when shown ``shown`` CSS px wide (None: no record)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    text = getattr(image, "text", {})
    if "ptcourse:min-font-pt" not in text or "ptcourse:dpi" not in text:
        return None
    pt, dpi = float(text["ptcourse:min-font-pt"]), float(text["ptcourse:dpi"])
    return pt / 72 * dpi * shown / image.width


def check_figure_text(page, min_px: float | None = None) -> list[str]:
    """Each figure's smallest text, at its displayed size, is >= ``min_px`` CSS px
    (default ``ptcourse.viz.MIN_TEXT_PX``)."""
    if min_px is None:
        from ptcourse import viz

        min_px = viz.MIN_TEXT_PX
    problems = []
    for image in article_images(page):
        if not image["figure"] or _is_svg(image["src"]):
            continue
        with urllib.request.urlopen(image["src"]) as response:  # the local test server only
            png = response.read()
        px = figure_text_px(png, image["shown"])
        if px is None:
            problems.append(
                f"figure {_name(image)} records no font size (ptcourse:min-font-pt); draw it "
                "with ptcourse.viz so its text can be checked"
            )
        elif px < min_px:
            problems.append(
                f"figure {_name(image)}: smallest text is {px:.1f} px shown {image['shown']:.0f} "
                f"px wide (< {min_px} px): larger fonts, or a narrower figure"
            )
    return problems


# ---- issue 29: dark mode, phone sizes, empty quiz answers, scrolled tables ----------------------

_VIEWS29_JS = """
() => {
  const lum = c => { const m = c.match(/[\\d.]+/g); if (!m) return 1;
    const [r, g, b] = m.map(Number); return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
  const bgOf = e => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
    if (c && !/rgba\\(0, 0, 0, 0\\)|transparent/.test(c)) return c; } return 'rgb(255, 255, 255)'; };
  const page = lum(bgOf(document.querySelector('main') || document.body));
  const out = {panels: [], texts: [], sliders: [], tables: []};
  document.querySelectorAll('.ptc-dial, .ptc-quiz').forEach((p, i) => {
    const radio = p.querySelector('input[type=radio]');
    out.panels.push({name: p.className + ' #' + i, page, panel: lum(bgOf(p)),
      radioDark: radio ? /dark/.test(getComputedStyle(radio).colorScheme) : null});
  });
  document.querySelectorAll('.ptc-dial svg.ptc-dial-figure').forEach((svg, i) => {
    const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
    svg.querySelectorAll('text').forEach(t => {
      const r = t.getBoundingClientRect();
      out.texts.push({dial: i, text: t.textContent.slice(0, 30),
        px: parseFloat(t.getAttribute('font-size')) * box.width / vb.width,
        inside: r.left >= box.left - 1 && r.right <= box.right + 1
                && r.top >= box.top - 1 && r.bottom <= box.bottom + 1});
    });
  });
  document.querySelectorAll('input.ptc-dial-slider').forEach((s, i) =>
    out.sliders.push({i, h: s.getBoundingClientRect().height}));
  document.querySelectorAll('.pst-scrollable-table-container').forEach((t, i) => {
    if (t.scrollWidth > t.clientWidth + 1)
      out.tables.push({i, cue: /gradient/.test(getComputedStyle(t).backgroundImage)});
  });
  return out;
}
"""


def check_views(page, *, min_text_px: float = 9.0, min_target_px: float = 44.0) -> list[str]:
    """Dials and quizzes take the page's light or dark background (a panel within 0.3 of the page's
    luminance), a quiz's radio buttons take a dark scheme only on a dark panel (else every unchosen
    option looks chosen), dial text is at least ``min_text_px`` CSS px and inside its figure, a
    slider's touch target is ``min_target_px`` tall, and a table that scrolls shows a cue."""
    got = page.evaluate(_VIEWS29_JS)
    problems = []
    for p in got["panels"]:
        if abs(p["panel"] - p["page"]) > 0.3:
            problems.append(
                f"{p['name']}: panel luminance {p['panel']:.2f} on a page of {p['page']:.2f}"
            )
        if p["radioDark"] is not None and p["radioDark"] != (p["panel"] < 0.5):
            problems.append(f"{p['name']}: radio buttons' colour scheme does not match the panel")
    for t in got["texts"]:
        if t["px"] < min_text_px:
            problems.append(f"dial {t['dial']}: text {t['text']!r} is {t['px']:.1f} px")
        if not t["inside"]:
            problems.append(f"dial {t['dial']}: text {t['text']!r} runs outside the figure")
    for s in got["sliders"]:
        if s["h"] < min_target_px:
            problems.append(f"slider {s['i']}: touch target {s['h']:.0f} px tall")
    for t in got["tables"]:
        if not t["cue"]:
            problems.append(f"table {t['i']} scrolls sideways with no visible cue")
    return problems


def check_quiz_empty_answer(page) -> list[str]:
    """'Check' with an empty box must not answer in the wrong-answer style (data-verdict=wrong)."""
    problems = []
    buttons = page.locator("div.ptc-quiz button.ptc-quiz-check")
    for i in range(buttons.count()):
        fs = buttons.nth(i).locator("xpath=ancestor::fieldset[1]")
        fs.locator("input.ptc-quiz-number").fill("")
        buttons.nth(i).click()
        verdict = fs.locator("p.ptc-quiz-feedback").get_attribute("data-verdict")
        if verdict == "wrong":
            problems.append(f"quiz question with box #{i}: Check with no answer says 'wrong'")
    return problems


# ---- issue 29 (quizzes and glossary tips): quiz math, quiz height on a phone, tips on tap ------

_QUIZ_TEXT_JS = """(root) => {
  const copy = root.cloneNode(true);
  copy.querySelectorAll('mjx-container, code, script, style, [hidden]').forEach(e => e.remove());
  const math = [...root.querySelectorAll('mjx-container')].filter(e => !e.closest('[hidden]'));
  return {text: copy.textContent, math: math.length};
}"""
# Plain-text math: an identifier with an underscore (pi_ref, r_w), TeX left raw, a lone ‖ or ||.
PLAIN_MATH = re.compile(r"[A-Za-zπβθσ]_[A-Za-z{(]|\\\(|\\[a-z]+\{|\$|‖|\|\|")


def check_quiz_math(page, min_math: int = 1) -> list[str]:
    """Every quiz on the open page writes its math as rendered math (at least ``min_math``
    ``mjx-container`` in its questions and options), never as plain text such as ``pi_ref``
    (code in ``<code>`` may hold underscores); a chosen option's feedback renders its math too."""
    problems = []
    for root in page.locator("div.ptc-quiz").all():
        name = root.get_attribute("data-quiz")
        got = root.evaluate(_QUIZ_TEXT_JS)
        for m in PLAIN_MATH.finditer(got["text"]):
            around = got["text"][max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
            problems.append(f"quiz {name}: plain-text math {m.group()!r} in {around!r}")
        if got["math"] < min_math:
            problems.append(f"quiz {name}: {got['math']} rendered formulas, expected {min_math}+")
        # every option's feedback: no raw TeX or plain-text math once shown
        for label in root.locator("label.ptc-quiz-option").all():
            label.click()
            fb = label.locator("xpath=ancestor::fieldset[1]").locator("p.ptc-quiz-feedback")
            text = fb.evaluate(_QUIZ_TEXT_JS)["text"]
            for m in PLAIN_MATH.finditer(text):
                problems.append(f"quiz {name}: feedback shows {m.group()!r}: {text[:100]!r}")
    return problems


def quiz_question_heights(page) -> list[float]:
    """The height (CSS px) of every multiple-choice question of the quizzes on the open page."""
    return page.eval_on_selector_all(
        "div.ptc-quiz fieldset.ptc-quiz-q[data-kind=choice]",
        "els => els.map(e => e.getBoundingClientRect().height)",
    )


def _tip_of(page, link, timeout_ms: int):
    """The visible ``.tippy-box`` that ``link`` describes (tippy.js sets aria-describedby)."""
    for _ in range(max(1, timeout_ms // 50)):
        tip_id = link.get_attribute("aria-describedby")
        if tip_id:
            box = page.locator(f'[id="{tip_id}"] .tippy-box')
            try:
                box.wait_for(state="visible", timeout=timeout_ms)
                page.wait_for_timeout(250)  # tippy's fade-in and Popper's last placement
                return box
            except Exception:  # Playwright's TimeoutError
                return None
        page.wait_for_timeout(50)
    return None


def check_term_tap(page, href: str, timeout_ms: int = 3000) -> list[str]:
    """On a touch screen a tap on a glossary term shows its definition and stays on the page; a
    second tap on the term opens the glossary. Needs a context with ``has_touch=True``."""
    link = page.locator(f'article.bd-article a[href="{href}"]').first
    if link.count() == 0:
        return [f"no link to {href!r} on the page"]
    link.scroll_into_view_if_needed()
    before = page.url
    link.tap()
    page.wait_for_timeout(400)
    if page.url != before:
        return [f"a tap on {href!r} left the page for {page.url} instead of showing the definition"]
    tip = _tip_of(page, link, timeout_ms)
    if tip is None:
        return [f"a tap on {href!r} showed no tooltip"]
    problems = []
    if not " ".join(tip.locator("dd").all_inner_texts()).strip():
        problems.append(f"the tip of {href!r} shows no definition: {tip.inner_text()[:80]!r}")
    width = page.evaluate("() => document.documentElement.clientWidth")
    box = tip.bounding_box()
    if box["x"] < 0 or box["x"] + box["width"] > width + 1:
        problems.append(f"the tip of {href!r} ({box}) does not fit the {width}px screen")
    with page.expect_navigation(timeout=timeout_ms):
        link.tap()
    if "glossary" not in page.url:
        problems.append(f"a second tap on {href!r} went to {page.url}, not the glossary")
    return problems


def check_tips_in_column(page, limit: int = 40, timeout_ms: int = 2000) -> list[str]:
    """On a desktop every glossary tip (the first ``limit`` term links) stays inside the viewport
    and off the right-hand sidebar (this page's contents)."""
    side = page.evaluate(
        """() => { const s = document.querySelector('.bd-sidebar-secondary');
        const r = s && s.getBoundingClientRect();
        return r && r.width > 0 && getComputedStyle(s).display !== 'none' ? r.left : null; }"""
    )
    width = page.evaluate("() => document.documentElement.clientWidth")
    right = min(width, side) if side is not None else width
    problems = []
    links = page.locator("article.bd-article a.reference.internal:has(span.std-term)")
    for i in range(min(links.count(), limit)):
        link = links.nth(i)
        link.scroll_into_view_if_needed()
        page.mouse.move(0, 0)
        page.wait_for_timeout(120)
        link.hover()
        tip = _tip_of(page, link, timeout_ms)
        if tip is None:
            problems.append(f"hovering term link {i} ({link.inner_text()!r}) showed no tip")
            continue
        box = tip.bounding_box()
        if box["x"] < 0 or box["x"] + box["width"] > right + 1:
            problems.append(
                f"the tip of {link.inner_text()!r} spans x {box['x']:.0f}-"
                f"{box['x'] + box['width']:.0f}, past the column's right edge {right:.0f}"
            )
    page.mouse.move(0, 0)
    return problems
