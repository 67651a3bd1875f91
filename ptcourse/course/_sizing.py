"""How big a course figure is where it is read: its size rule, its sharp PNG and that PNG's record.

A notebook or the site shows a figure at ``CSS_DPI`` CSS px per inch, no wider than the article
column (``COLUMN_PX``, measured in Chromium in 390- and 1366-px windows), from a PNG of
``PIXEL_RATIO`` pixels per CSS pixel. ``TEXT_PT`` keeps text at least ``MIN_TEXT_PX`` CSS px on a
phone; ``display_png`` records the PNG's smallest font (pt) and dpi in PNG text chunks, which the
site's browser checks (``tests/site/test_site_figures.py``) read. matplotlib is imported inside
functions, so importing this module, and the course style built on it, stays light.
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
    """Font size (pt) of a figure ``width`` (> 0) inches wide: >= ``MIN_TEXT_PX`` on a phone.

    .. math::

        \\text{pt} = \\max\\Big(10,\\ \\Big\\lceil 2 \\cdot 1.05\\, \\frac{72\\, \\text{px}_\\min\\, w}
        {\\text{column}_\\text{phone}} \\Big\\rceil / 2\\Big)

    (half points, rounded up, 5 % above the bound for the tight bounding box's few pixels).

    >>> TEXT_PT(4.0), TEXT_PT(6.4)  # a narrow figure keeps 10 pt; 6.4 in needs 12.5 pt
    (10.0, 12.5)
    """
    if not width > 0:
        raise ValueError(f"TEXT_PT: 'width' must be > 0 inches, got {width!r}")
    needed = 1.05 * 72 * MIN_TEXT_PX * width / COLUMN_PX["phone"]
    return max(10.0, math.ceil(2 * needed) / 2)


def _texts(artist):
    """The visible, non-empty texts under ``artist``; an invisible artist hides all it holds."""
    from matplotlib.text import Text

    if not artist.get_visible():
        return
    if isinstance(artist, Text) and artist.get_text().strip():
        yield artist
    for child in artist.get_children():
        yield from _texts(child)


def min_font_pt(fig) -> float:
    """The size (points) of the smallest visible, non-empty text in ``fig`` (none: ValueError).

    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=5)
    >>> _ = ax.set_title("x", fontsize=15)
    >>> min_font_pt(fig) == TEXT_PT(5)  # the tick labels are the smallest text
    True
    """
    fig.draw_without_rendering()  # tick labels exist only once the figure is laid out
    sizes = [float(t.get_fontsize()) for t in _texts(fig)]
    if not sizes:
        raise ValueError("min_font_pt: the figure has no visible text")
    return min(sizes)


def png_metadata(fig) -> dict[str, str]:
    """PNG text chunks recording the figure's smallest font (pt; absent without text) and dpi.

    From them a reader computes the smallest text's displayed size in CSS pixels,
    :math:`\\text{px} = \\frac{\\text{pt}}{72}\\,\\text{dpi}\\, w_\\text{shown} / w_\\text{png}`.

    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=5)
    >>> png_metadata(fig)["ptcourse:dpi"]  # 2 pixels per CSS pixel at 100 CSS px per inch
    '200'
    """
    meta = {"ptcourse:dpi": f"{CSS_DPI * PIXEL_RATIO:g}"}
    try:
        meta["ptcourse:min-font-pt"] = f"{min_font_pt(fig):g}"
    except ValueError:  # a picture without any text: nothing to record
        pass
    return meta


def display_png(fig) -> tuple[bytes, dict[str, int]]:
    """The PNG a notebook (and the site) shows: ``PIXEL_RATIO`` x sharp, at ``CSS_DPI`` CSS px/inch.

    Returns IPython's ``(png_bytes, {"width": css_px})``: Jupyter, Colab and myst-nb show it at half
    its pixel width. Text below ``TEXT_PT`` is raised first; the colours are an adaptive 256-colour
    palette (median cut, no dithering: a third of the bytes, no visible change).

    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=4, height=3)
    >>> data, meta = display_png(fig)
    >>> data[:4], meta["width"] > 300  # a PNG, shown about 4 in x 100 px wide
    (b'\\x89PNG', True)
    """
    from PIL import Image, PngImagePlugin

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
    image = Image.open(io.BytesIO(data)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    for key, value in png_metadata(fig).items():
        info.add_text(key, value)
    out = io.BytesIO()
    palette.save(out, format="PNG", pnginfo=info, dpi=(dpi, dpi))
    return out.getvalue(), {"width": math.ceil(width_px / PIXEL_RATIO)}


def raise_small_text(fig, pt: float) -> int:
    """Set every visible text of ``fig`` smaller than ``pt`` points to ``pt``; return how many.

    ``display_png``'s floor: a legend or label at matplotlib's 10 pt, or at ``fontsize=7``, stays
    readable where the figure is shown.

    >>> from ptcourse.course.viz import figure
    >>> fig, ax = figure(width=6.4)
    >>> _ = ax.legend(handles=ax.plot([0, 1], label="a"), fontsize=7)
    >>> raise_small_text(fig, TEXT_PT(6.4)) >= 1 and min_font_pt(fig) == TEXT_PT(6.4)
    True
    """
    fig.draw_without_rendering()  # make the tick labels a draw would make
    raised = 0
    for text in _texts(fig):
        if text.get_fontsize() < pt:
            text.set_fontsize(pt)
            raised += 1
    return raised
