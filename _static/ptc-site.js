/* The site on every screen (issue 15). Loaded on every page (Jupyter Book adds each _static/*.js).
 *
 * 1. Sidebar buttons. pydata-sphinx-theme and sphinx-book-theme attach their handlers to the
 *    *first* .primary-toggle / .secondary-toggle in the document: the theme header's, which the book
 *    theme hides. The buttons a reader sees (article header) had no handler and only showed their
 *    tooltip. A click on any other toggle is handed to the first one, so the themes' own code runs:
 *    the drawer (a <dialog>) opens on a phone, the sidebar collapses on a desktop.
 * 2. A solution's title links back to its exercise; a click on that link opened nothing. It now
 *    opens (or closes) the solution, like a click on the rest of the title.
 * 3. Display equations that still need a sideways scroll get the class ptc-scrolls (a visible cue,
 *    _static/ptc-site.css) and a keyboard stop.
 * 4. Search (Sphinx's searchtools.js). Its snippets are cut from each result page's HTML, which holds
 *    the article header's download menu (".ipynb .md .pdf": the "....md" snippets) and the TeX
 *    source of every formula (MathJax typesets it in the browser): both are dropped from the text
 *    snippets are cut from, a formula becomes "…". Opened from disk (file://), a browser refuses
 *    those page fetches, so the results are listed without snippets instead of failing.
 * 5. Glossary tips (sphinx-tippy, issue 29). On a touch screen a tap on a term used to open the
 *    glossary: the first tap now shows the definition, a second tap on the term follows the link.
 *    A tip opens below (or above) its term, never beside it, and stays within the article column,
 *    so on a desktop it no longer covers the right-hand sidebar.
 */
(() => {
  "use strict";
  const ready = (fn) =>
    document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", fn) : fn();

  // Both are top-level `const`s of Sphinx's scripts: globals, but not properties of window.
  if (typeof DOCUMENTATION_OPTIONS !== "undefined" && window.location.protocol === "file:") {
    DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
  }

  ready(() => {
    if (typeof Search !== "undefined" && typeof Search.htmlToText === "function" && !Search.ptcPatched) {
      const original = Search.htmlToText;
      Search.htmlToText = (htmlString, anchor) => {
        const doc = new DOMParser().parseFromString(htmlString, "text/html");
        doc.querySelectorAll(".bd-header-article, .header-article, .article-header-buttons, .dropdown-download-buttons")
          .forEach((el) => el.remove());
        doc.querySelectorAll(".math, mjx-container").forEach((el) => el.replaceWith(doc.createTextNode("…")));
        return original(doc.documentElement.outerHTML, anchor);
      };
      Search.ptcPatched = true;
    }

    for (const kind of ["primary-toggle", "secondary-toggle"]) {
      const all = Array.from(document.querySelectorAll("." + kind));
      const first = all[0];
      all.slice(1).forEach((button) => {
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          button.blur();
          first.click();
        });
      });
    }

    document.querySelectorAll(".solution.dropdown > .admonition-title a").forEach((link) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        const toggle = link.closest(".admonition-title").querySelector(".toggle-button");
        if (toggle) toggle.click();
      });
    });
  });

  // -- glossary tips --
  let lastPointer = "mouse";
  document.addEventListener("pointerdown", (event) => { lastPointer = event.pointerType; }, true);
  const tipped = (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    return link && link._tippy ? link : null;
  };
  const place = (link) => {
    if (link.ptcPlaced) return;
    link.ptcPlaced = true;
    const column = link.closest("article.bd-article") || document.body;
    link._tippy.setProps({
      placement: "bottom-start",
      maxWidth: Math.min(500, column.clientWidth),
      popperOptions: {
        modifiers: [
          { name: "flip", options: { fallbackPlacements: ["top-start"] } },
          { name: "preventOverflow", options: { boundary: column, padding: 4, altAxis: false } },
        ],
      },
      onHidden: () => { link.ptcTapped = false; },
    });
  };
  for (const type of ["mouseover", "focusin", "pointerdown"]) {
    document.addEventListener(type, (event) => { const link = tipped(event); if (link) place(link); }, true);
  }
  document.addEventListener("click", (event) => {
    const link = tipped(event);
    if (!link || lastPointer === "mouse") return;
    if (!link.ptcTapped) {  // first tap: the definition, not the glossary page
      event.preventDefault();
      link.ptcTapped = true;
      link._tippy.show();
    }
  }, true);
  // -- end of glossary tips --

  const markScrolling = () => {
    document.querySelectorAll('mjx-container[display="true"]').forEach((el) => {
      const scrolls = el.scrollWidth > el.clientWidth + 2;
      el.classList.toggle("ptc-scrolls", scrolls);
      if (scrolls) {
        el.tabIndex = 0;
        el.setAttribute("title", "scroll sideways to see the whole equation");
      }
    });
  };
  window.addEventListener("load", () => {
    const mj = window.MathJax;
    const typeset = mj && mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
    typeset.then(markScrolling);
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(markScrolling, 200);
    });
  });
})();
