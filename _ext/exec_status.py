"""A page whose chapter did not execute fully says so at its top, whatever builds it (issue 29).

``make book`` fails when a chapter raises (``allow_errors: false``, ``-W``), but a build that
ignores warnings would publish the page silently incomplete: figures missing, an empty "Check
yourself", numbers absent. myst-nb records each page's execution in ``env.nb_metadata[docname]
["exec_data"]`` (``succeeded``, ``error``); when it says the execution failed, this extension puts
a warning banner (class ``ptc-exec-failed``) at the top of the page and logs a warning of its own.
``press/publish_check.py`` refuses to publish a site with such a banner on any page.
"""

from __future__ import annotations

from docutils import nodes

BANNER_CLASS = "ptc-exec-failed"


def banner(exec_data: dict | None) -> nodes.Element | None:
    """The warning to show for ``exec_data`` (myst-nb's record of one page), or None when the page
    executed (or was never executed: a page with no code)."""
    if not exec_data or exec_data.get("succeeded", True) is not False:
        return None
    error = exec_data.get("error") or "an error"
    node = nodes.warning(classes=[BANNER_CLASS])
    node += nodes.paragraph(
        text=(
            f"This page did not execute fully when the site was built ({error}). Figures, numbers "
            "and outputs below may be missing or stale: open the chapter's notebook and run it, "
            "and tell the course maintainers."
        )
    )
    return node


def add_banner(doctree: nodes.document, exec_data: dict | None) -> bool:
    """Insert the banner under the page's title (at the top when it has none); True when added."""
    node = banner(exec_data)
    if node is None or any(BANNER_CLASS in n["classes"] for n in doctree.findall(nodes.warning)):
        return False
    title = next(iter(doctree.findall(nodes.title)), None)
    if title is not None:
        title.parent.insert(title.parent.index(title) + 1, node)
    else:
        doctree.insert(0, node)
    return True


def _on_doctree_read(app, doctree) -> None:
    metadata = getattr(app.env, "nb_metadata", None) or {}
    exec_data = metadata.get(app.env.docname, {}).get("exec_data")
    if add_banner(doctree, exec_data):
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            "%s did not execute fully (%s): the page carries a warning banner",
            app.env.docname,
            exec_data.get("error"),
            type="ptcourse",
            subtype="execution",
            location=app.env.docname,
        )


def setup(app):
    app.setup_extension("myst_nb")
    # after myst-nb's parse, which records the execution (doctree-read follows the parse)
    app.connect("doctree-read", _on_doctree_read, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
