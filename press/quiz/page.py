"""The quizzes rendered: kernel-free HTML for the site, markdown for notebooks, the answer key."""

from __future__ import annotations

import functools
import html
import importlib.resources
import json
import re

from _html import KernelFreeHTML

from .model import Choice, Quiz, chapters, displayed, load

__all__ = ["QuizHTML", "show", "markdown", "key_markdown"]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


@functools.cache
def _asset(name: str) -> str:
    return importlib.resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


class QuizHTML(KernelFreeHTML):
    """A kernel-free quiz: HTML + inline script; Jupyter and myst-nb display ``_repr_html_``."""

    @property
    def chapter(self) -> str:
        """The chapter number ("01") or "key" for the answer key."""
        return self.name


# Inline markup of the quiz text: $TeX$ (math) and `code`; everything else is plain text.
_MARKUP = re.compile(r"\$([^$]+)\$|`([^`]+)`")


def _inline(text: str) -> str:
    """``text`` as HTML: ``$TeX$`` as Sphinx writes inline math (``_ext/prerender_math.py`` renders
    it at build time with the chapters' math; in Jupyter, MathJax typesets it), ``code`` in
    ``<code>``, the rest escaped.

    Examples
    --------
    >>> print(_inline("a < $x_1$ in `kl_coef`"))
    a &lt; <span class="math notranslate nohighlight">\\(x_1\\)</span> in <code>kl_coef</code>
    """
    out, pos = [], 0
    for m in _MARKUP.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        if m.group(1) is not None:
            tex = html.escape(m.group(1), quote=False)
            out.append(f'<span class="math notranslate nohighlight">\\({tex}\\)</span>')
        else:
            out.append(f"<code>{html.escape(m.group(2))}</code>")
        pos = m.end()
    return "".join(out) + html.escape(text[pos:])


def _whys(q) -> dict[str, str]:
    """A question's explanations by key: an option's index (choice); ``right``, ``hint`` and the
    mistakes' ``m0``, ``m1``... (numeric)."""
    if isinstance(q, Choice):
        return {str(j): o.why for j, o in enumerate(q.options)}
    return {"right": q.why, "hint": q.hint, **{f"m{k}": m.why for k, m in enumerate(q.mistakes)}}


def _spec(quiz: Quiz) -> list[dict]:
    """What the script needs to grade: per question, its kind and the right answer. The
    explanations are HTML in the question (``_whys``), so their math is rendered with the page's."""
    spec = []
    for q in displayed(quiz):
        if isinstance(q, Choice):
            spec.append({"kind": "choice", "correct": [o.correct for o in q.options]})
        else:
            spec.append({"kind": "numeric", "answer": q.answer, "tol": q.tolerance,
                         "mistakes": [m.value for m in q.mistakes]})  # fmt: skip
    return spec


def show(chapter: str) -> QuizHTML:
    """The kernel-free HTML quiz of ``chapter``: feedback per option, no kernel, no network.

    Markup contract (the site's browser test relies on it): ``div.ptc-quiz[data-quiz=NN]`` holds
    one ``fieldset.ptc-quiz-q[data-kind=choice|numeric]`` per question; a choice has one
    ``input[type=radio]`` per option (``value`` = its index), a numeric question an
    ``input.ptc-quiz-number`` and a ``button.ptc-quiz-check``; each question's
    ``p.ptc-quiz-feedback`` (``aria-live``) gets ``data-verdict`` ``correct`` or ``wrong`` and the
    explanation, copied from the question's hidden ``div.ptc-quiz-whys`` (``span[data-why=KEY]``).
    Quiz text may hold ``$TeX$`` and ``code`` (``_inline``).

    Examples
    --------
    >>> 'data-quiz="01"' in show("01")._repr_html_()
    True
    """
    quiz = load(chapter)
    uid = f"ptc-quiz-{chapter}"
    e = html.escape
    parts = [f'<div class="ptc-quiz" data-quiz="{chapter}" id="{uid}">',
             f"<style>{_asset('quiz.css').strip()}</style>",
             f'<p class="ptc-quiz-intro">Check yourself: {len(quiz.questions)} questions on '
             f"{e(quiz.title)}. Pick an answer to see why it is right or wrong; nothing is "
             "recorded.</p>"]  # fmt: skip
    for i, q in enumerate(displayed(quiz)):
        qid = f"{uid}-q{i + 1}"
        kind = "choice" if isinstance(q, Choice) else "numeric"
        parts.append(f'<fieldset class="ptc-quiz-q" data-kind="{kind}" id="{qid}">')
        parts.append(f"<legend>{i + 1}. {_inline(q.prompt)}</legend>")
        if isinstance(q, Choice):
            for j, o in enumerate(q.options):
                # An option that is only a formula: its TeX as the radio's title, a name that
                # accessibility checkers (axe) find where they do not read MathJax's MathML.
                tex = o.text.strip("$") if not _MARKUP.sub("", o.text).strip() else ""
                title = f' title="{e(tex)}"' if tex else ""
                parts.append(f'<label class="ptc-quiz-option"><input type="radio" name="{qid}" '
                             f'value="{j}"{title}> <span>{_inline(o.text)}</span></label>')  # fmt: skip
        else:
            unit = f" {e(q.unit)}" if q.unit else ""
            parts.append(f'<label class="ptc-quiz-numlabel" for="{qid}-x">Your answer{unit}:'
                         f'</label> <input type="text" inputmode="decimal" class="ptc-quiz-number" '
                         f'id="{qid}-x" autocomplete="off"> <button type="button" '
                         f'class="ptc-quiz-check">Check</button>')  # fmt: skip
        whys = "".join(f'<span data-why="{k}">{_inline(t)}</span>' for k, t in _whys(q).items())
        parts.append(f'<div class="ptc-quiz-whys" hidden>{whys}</div>')
        parts.append('<p class="ptc-quiz-feedback" aria-live="polite"></p></fieldset>')
    spec = json.dumps(_spec(quiz), separators=(",", ":")).replace("</", "<\\/")
    parts += [f"<script>{_asset('quiz.js').strip()}({json.dumps(uid)}, {spec});</script>",
              "</div>"]  # fmt: skip
    return QuizHTML(chapter, "\n".join(parts))


def _answer_line(q) -> str:
    if isinstance(q, Choice):
        j, right = next((j, o) for j, o in enumerate(q.options) if o.correct)
        return f"({chr(97 + j)}) {right.text}. {right.why}"
    unit = f" {q.unit}" if q.unit else ""
    return f"{_fmt(q.answer)}{unit} (within ±{_fmt(q.tolerance)}). {q.why}"


def markdown(chapter: str, answers: bool = False) -> str:
    """The quiz of ``chapter`` as CommonMark for a notebook; ``answers=True`` adds the key.

    Examples
    --------
    >>> md = markdown("01")
    >>> md.startswith("**Check yourself.**") and "Answer:" not in md
    True
    >>> "Answer:" in markdown("01", answers=True)
    True
    """
    quiz = load(chapter)
    lines = [f"**Check yourself.** {len(quiz.questions)} questions on {quiz.title}; the course "
             "site gives feedback on each answer."]  # fmt: skip
    for i, q in enumerate(displayed(quiz), 1):
        lines += ["", f"{i}. {q.prompt}"]
        if isinstance(q, Choice):
            lines += [f"   - ({chr(97 + j)}) {o.text}" for j, o in enumerate(q.options)]
        else:
            lines.append(f"   - Your answer{' in ' + q.unit if q.unit else ''}: ...")
        if answers:
            lines.append(f"\n   *Answer:* {_answer_line(q)}")
    return "\n".join(lines)


def _key_rows(q) -> list[tuple[str, dict[str, str]]]:
    """The answer key of question ``q``, one ``(verdict, fields)`` row per answer, markdown-escaped.

    ``verdict`` is ``"right"`` or ``"wrong"`` for an option of a choice, a known mistake or
    "anything else", and ``"value"`` for a numeric question's answer (``fields["tol"]``: its
    tolerance); ``_MD_ROW`` formats each row.
    """
    escape = _md
    if isinstance(q, Choice):
        return [("right" if o.correct else "wrong",
                 {"answer": f"({chr(97 + j)}) {escape(o.text)}", "why": escape(o.why)})
                for j, o in enumerate(q.options)]  # fmt: skip
    unit = f" {escape(q.unit)}" if q.unit else ""
    value = {"answer": f"{_fmt(q.answer)}{unit}", "tol": _fmt(q.tolerance), "why": escape(q.why)}
    mistakes = [("wrong", {"answer": _fmt(m.value), "why": escape(m.why)}) for m in q.mistakes]
    return [("value", value), *mistakes,
            ("wrong", {"answer": "anything else", "why": escape(q.hint)})]  # fmt: skip


_MD_ROW = {
    "right": "   - {answer}: **right**. {why}",
    "wrong": "   - {answer}: wrong. {why}",
    "value": "   - **{answer}** (within ±{tol}): **right**. {why}",
}


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$|#])")


def _md(text: str) -> str:
    """``text`` with the characters MyST would read as markup escaped, but its ``$TeX$`` and
    ``code`` kept (the key page renders them as the chapters do).

    Examples
    --------
    >>> print(_md("a*b, $x_1$ and `k_3`"))
    a\\*b, $x_1$ and `k_3`
    """
    out, pos = [], 0
    for m in _MARKUP.finditer(text):
        out += [_MD_SPECIAL.sub(r"\\\1", text[pos : m.start()]), m.group()]
        pos = m.end()
    return "".join(out) + _MD_SPECIAL.sub(r"\\\1", text[pos:])


def key_markdown() -> str:
    """The answer-key page (``KEY_PAGE``): every quiz, its answers and every explanation, in MyST.

    A page of plain markdown (no code to execute), one section per chapter, so it prints on paper
    from the browser. ``tests/course/test_quiz.py`` checks the page in the book is this text.

    Examples
    --------
    >>> key_markdown().startswith("# Self-check quizzes: answer key")
    True
    """
    lines = [
        "# Self-check quizzes: answer key",
        "",
        "The answers and explanations of the *Check yourself* quiz at the end of every chapter, "
        "for the instructor (print it from the browser). Each wrong option carries the "
        "explanation a learner sees on choosing it. Generated from `press/quiz/` by "
        "`PYTHONPATH=press python -m quiz`; do not edit by hand.",
    ]
    for ch in chapters():
        quiz = load(ch)
        lines += ["", f"## Chapter {ch}: {_md(quiz.title)}"]
        for i, q in enumerate(displayed(quiz), 1):
            lines += ["", f"{i}. {_md(q.prompt)}", ""]
            lines += [_MD_ROW[verdict].format(**row) for verdict, row in _key_rows(q)]
    return "\n".join(lines) + "\n"
