"""Sphinx extension: the references page keeps its promise (issue 15).

``book/references.md`` says that each entry links back to where it is cited, and the chapters
cite author-year (``bibtex_reference_style: author_year``: "Ouyang *et al.*, 2022"), but
sphinxcontrib-bibtex wrote numbered entries ("[1]") with no way back. After references are
resolved, each entry of a ``{bibliography}`` gets

* the label the chapters use, author-year ("Ouyang et al., 2022") instead of a number, and
* a "Cited in" line: one link per citation, to the exact spot (the id sphinxcontrib-bibtex gives
  each ``{cite}``, ``CitationRef.citation_ref_id``), labelled with the chapter's title.

Data: sphinxcontrib-bibtex's domain (``env.get_domain("cite")``): ``citations`` (``citation_id``,
``key``, pybtex ``entry``) and ``citation_refs`` (``citation_ref_id``, ``docname``, ``targets``).
"""

from __future__ import annotations

from collections import defaultdict

from docutils import nodes


def author_year(entry) -> str:
    """'Bishop, 2006', 'Kullback and Leibler, 1951', 'Ouyang et al., 2022' for a pybtex entry."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(p.last_names) or str(p) for p in people]
    if not names:
        who = entry.fields.get("title", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    year = entry.fields.get("year", "n.d.")
    return f"{who}, {year}"


def _add_backlinks(app, doctree, docname) -> None:
    citations_here = list(doctree.findall(nodes.citation))
    if not citations_here or app.builder.format != "html":
        return
    domain = app.env.get_domain("cite")
    by_id = {c.citation_id: c for c in domain.citations}
    refs_by_key: dict[str, list] = defaultdict(list)
    for ref in domain.citation_refs:
        for target in ref.targets:
            refs_by_key[target.key].append(ref)
    order = {name: i for i, name in enumerate(sorted(app.env.found_docs))}  # chapters are numbered
    for node in citations_here:
        citation = next((by_id[i] for i in node["ids"] if i in by_id), None)
        if citation is None:
            continue
        for label in node.findall(nodes.label):
            label.children = [nodes.Text(author_year(citation.entry))]
            break
        refs = sorted(
            refs_by_key.get(citation.key, []), key=lambda r: (order.get(r.docname, 0), r.line)
        )
        if not refs:
            continue
        para = nodes.paragraph(classes=["ptc-cited-in"])
        para += nodes.Text("Cited in: ")
        per_doc: dict[str, list] = defaultdict(list)
        for ref in refs:
            per_doc[ref.docname].append(ref)
        for i, (cited_in, doc_refs) in enumerate(per_doc.items()):
            if i:
                para += nodes.Text("; ")
            title = app.env.titles[cited_in].astext() if cited_in in app.env.titles else cited_in
            page = app.builder.get_relative_uri(docname, cited_in)
            # The chapter's title links to the first citation there; later ones are numbered.
            for n, ref in enumerate(doc_refs, start=1):
                text = title if n == 1 else f"{n}"
                if n > 1:
                    para += nodes.Text(" ")
                para += nodes.reference(
                    "", text, refuri=f"{page}#{ref.citation_ref_id}", internal=True
                )
        node += para


def setup(app):
    app.setup_extension("sphinxcontrib.bibtex")
    app.connect("doctree-resolved", _add_backlinks)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
