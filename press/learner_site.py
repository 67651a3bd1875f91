"""Sphinx extension for the learner build of the site (``make site-learner``): no solutions at all.

sphinx-exercise's own ``hide_solutions`` option drops a ``{solution}`` directive but not the code
cells between ``{solution-start}`` and ``{solution-end}`` (its directive returns nothing, so the
gated cells stay on the page), which is where this course's code solutions live. This extension
instead removes, after sphinx-exercise has merged the gated solutions into solution nodes:

* every solution node (``sphinx_exercise.nodes.solution_node``) and any leftover start/end marker;
* every notebook cell tagged ``solution`` (myst-nb gives it the class ``tag_solution``);
* the body of the answer-key page (``book/quiz_key``), replaced by a line saying where it is.

``press/bundle.py learner-config`` writes a ``_config.yml`` that loads it; the built pages are then
checked by ``bundle.find_leaks`` before a learner bundle is written.
"""

from __future__ import annotations

from docutils import nodes

KEY_DOC = "book/quiz_key"


def _solution_node_types() -> tuple[type, ...]:
    from sphinx_exercise import nodes as se

    return (se.solution_node, se.solution_start_node, se.solution_end_node)


def strip_solutions(app, doctree) -> None:
    """Remove every solution from ``doctree`` (a ``doctree-read`` handler, after sphinx-exercise)."""
    kinds = _solution_node_types()
    doomed = [n for n in doctree.findall(lambda n: isinstance(n, kinds))]
    doomed += [
        n
        for n in doctree.findall(nodes.container)
        if "tag_solution" in n.get("classes", []) or "solution" in n.get("tags", [])
    ]
    for node in doomed:
        if node.parent is not None:
            node.parent.remove(node)
    if app.env.docname == KEY_DOC:
        for section in doctree.findall(nodes.section):
            title = section.next_node(nodes.title)
            section.children = [title] if title is not None else []
            section += nodes.paragraph(
                text="The answer key of the self-check quizzes is in the instructor bundle."
            )
            break


def setup(app):
    app.connect("doctree-read", strip_solutions, priority=900)  # sphinx-exercise runs at 500
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
