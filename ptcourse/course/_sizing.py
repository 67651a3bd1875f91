"""How big a course figure is where it is read: its size rule, its sharp PNG and that PNG's record.

A notebook or the site shows a figure at ``CSS_DPI`` CSS pixels per inch, no wider than the site's
article column (``COLUMN_PX``, measured in Chromium: 757 px in a 1366-px window, 358 px on a
390-px phone), from a PNG with ``PIXEL_RATIO`` pixels per CSS pixel. ``TEXT_PT`` sizes text so
that it is at least ``MIN_TEXT_PX`` CSS pixels on the phone; ``display_png`` renders the PNG and
records its smallest font (points) and its dpi in PNG text chunks, which the site's browser checks
(``tests/site/test_site_figures.py``) read to compute the text's displayed size.

matplotlib is only reached through the figures passed in (this module imports it inside
functions), so importing it, and the course style (``style``) built on it, stays light.
"""

from __future__ import annotations

import io
import math

__all__ = [
    "CSS_DPI",
    "PIXEL_RATIO",
    "COLUMN_PX",
    "MIN_TEXT_PX",
    "MAX_WIDTH",
    "TEXT_PT",
    "min_font_pt",
    "raise_small_text",
    "png_metadata",
    "display_png",
]

#: CSS pixels per inch a figure is shown at (matplotlib's and IPython's default figure dpi)
CSS_DPI = 100
#: PNG pixels per CSS pixel (2: sharp on high-density screens)
PIXEL_RATIO = 2
#: width (CSS px) of the site's article column, measured in Chromium at 390 and 1366 px windows
COLUMN_PX = {"phone": 358, "desktop": 757}
#: the smallest text a figure may show, in CSS px at its displayed size (issue 15)
MIN_TEXT_PX = 9.0
#: widest figure (inches) the course draws: 640 CSS px, inside the desktop column
MAX_WIDTH = 6.4


def TEXT_PT(width: float) -> float:  # noqa: N802 - a size rule, read like a constant
    """Font size (pt) of a figure ``width`` inches wide: >= ``MIN_TEXT_PX`` when shown on a phone.

    .. math::

        \\text{pt} = \\max\\Big(10,\\ \\Big\\lceil 2 \\cdot 1.05\\, \\frac{72\\, \\text{px}_\\min\\, w}
        {\\text{column}_\\text{phone}} \\Big\\rceil / 2\\Big)

    (rounded up to half points, 5 % above the bound for the tight bounding box's few pixels).

    Examples
    --------
    >>> TEXT_PT(4.0), TEXT_PT(6.4)  # a narrow figure keeps 10 pt; 6.4 in needs 12.5 pt
    (10.0, 12.5)
    """
    if not width > 0:
        raise ValueError(f"TEXT_PT: 'width' must be > 0 inches, got {width!r}")
    needed = 1.05 * 72 * MIN_TEXT_PX * width / COLUMN_PX["phone"]
    return max(10.0, math.ceil(2 * needed) / 2)


def min_font_pt(fig) -> float:
    """The size (points) of the smallest visible, non-empty text in ``fig``.

    Walks the figure's artists, skipping invisible ones with everything they hold (a hidden
    panel's tick labels are not shown).

    Examples
    --------
    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=5)
    >>> _ = ax.set_title("x", fontsize=15)
    >>> min_font_pt(fig) == TEXT_PT(5)  # the tick labels are the smallest text
    True
    """
    from matplotlib.text import Text

    fig.draw_without_rendering()  # tick labels exist only once the figure is laid out
    sizes = []

    def walk(artist) -> None:
        if not artist.get_visible():
            return
        if isinstance(artist, Text) and artist.get_text().strip():
            sizes.append(float(artist.get_fontsize()))
        for child in artist.get_children():
            walk(child)

    walk(fig)
    if not sizes:
        raise ValueError("min_font_pt: the figure has no visible text")
    return min(sizes)


def png_metadata(fig) -> dict[str, str]:
    """PNG text chunks recording the figure's smallest font (pt) and the PNG's dpi.

    With them a reader of the PNG computes the smallest text's displayed size in CSS pixels:

    .. math::

        \\text{px} = \\frac{\\text{pt}}{72}\\,\\text{dpi}\\,\\frac{w_\\text{shown}}{w_\\text{png}}

    Examples
    --------
    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=5)
    >>> png_metadata(fig)["ptcourse:dpi"]  # 2 pixels per CSS pixel at 100 CSS px per inch
    '200'
    """
    meta = {"ptcourse:dpi": f"{CSS_DPI * PIXEL_RATIO:g}"}
    try:
        meta["ptcourse:min-font-pt"] = f"{min_font_pt(fig):g}"
    except ValueError:  # a picture without any text: nothing to read, nothing to record
        pass
    return meta


def display_png(fig) -> tuple[bytes, dict[str, int]]:
    """The PNG a notebook (and the site) shows: ``PIXEL_RATIO`` x sharp, at ``CSS_DPI`` CSS px/inch.

    Returns ``(png_bytes, {"width": css_px})``, IPython's (data, metadata) form: the front end
    (Jupyter, Colab, myst-nb's ``<img width>``) shows the image at half its pixel width, so it is
    sharp on a high-density screen and shrinks with the column on a phone.

    Examples
    --------
    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=4, height=3)
    >>> data, meta = display_png(fig)
    >>> data[:4], meta["width"] > 300  # a PNG, shown about 4 in x 100 px wide
    (b'\\x89PNG', True)
    """
    dpi = CSS_DPI * PIXEL_RATIO
    width_in = fig.get_figwidth()
    for _ in range(2):  # a legend outside the axes can widen the tight box: size for that width
        raise_small_text(fig, TEXT_PT(width_in))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata=png_metadata(fig))
        data = buf.getvalue()
        width_px = int.from_bytes(data[16:20], "big")  # IHDR: the width follows the signature
        if width_px / dpi <= 1.05 * width_in:
            break
        width_in = width_px / dpi
    return _palette_png(data, png_metadata(fig), dpi), {"width": math.ceil(width_px / PIXEL_RATIO)}


def _palette_png(data: bytes, text: dict[str, str], dpi: float) -> bytes:
    """The same picture with an adaptive 256-colour palette: a third of the bytes, no visible change.

    A figure has a few flat colours and their anti-aliased edges, which 256 colours (median cut,
    no dithering) keep; the text chunks and the dpi are written again.
    """
    from PIL import Image, PngImagePlugin

    image = Image.open(io.BytesIO(data)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    palette.save(out, format="PNG", pnginfo=info, dpi=(dpi, dpi))
    return out.getvalue()


def raise_small_text(fig, pt: float) -> int:
    """Set every visible text of ``fig`` smaller than ``pt`` points to ``pt``; return how many.

    The floor that ``display_png`` applies, so that a legend or label added with matplotlib's
    defaults (10 pt, or a ``fontsize=7``) is still readable where the figure is shown.

    Examples
    --------
    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=6.4)
    >>> _ = ax.legend(handles=ax.plot([0, 1], label="a"), fontsize=7)
    >>> raise_small_text(fig, TEXT_PT(6.4)) >= 1 and min_font_pt(fig) == TEXT_PT(6.4)
    True
    """
    from matplotlib.text import Text

    fig.draw_without_rendering()  # make the tick labels a draw would make
    raised = 0

    def walk(artist) -> None:
        nonlocal raised
        if not artist.get_visible():
            return
        if isinstance(artist, Text) and artist.get_text().strip() and artist.get_fontsize() < pt:
            artist.set_fontsize(pt)
            raised += 1
        for child in artist.get_children():
            walk(child)

    walk(fig)
    return raised
