"""Matplotlib figures as accessible inline SVG, in a colour-blind-safe palette.

Figures are built with :class:`matplotlib.figure.Figure` on an explicit Agg canvas instead of
pyplot: nothing is registered in pyplot's global figure list (so nothing needs ``plt.close``
and nothing leaks), and importing this module never switches the caller's backend (e.g. a
notebook's inline backend). Every SVG gets ``role="img"`` and a ``<title>``, so a screen reader
announces what the chart shows, and colours come from the Okabe–Ito palette, which stays
distinguishable under the common colour-vision deficiencies; meaning is never carried by
colour alone (markers, dashes and labels repeat it).
"""

from __future__ import annotations

import io
import re

from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from shoprel.evaluate.report.fmt import esc

# Okabe & Ito (2008), "Color Universal Design"
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
BLACK = "#000000"
GREY = "#767676"  # baselines: 4.5:1 contrast on white
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, BLACK)

# Sizes that keep a chart's smallest text legible when the page shrinks it to a phone's width
# (a 380 px box): the text scales with the figure's width, so a wide figure's legend fell
# to 6 px. WIDE is the width of every chart that is not a square ROC/calibration panel.
LEGEND_SIZE = 9  # points
WIDE = 5.6  # inches

MODEL_COLOR = BLUE
BASELINE_COLOR = GREY
AUC_COLOR = ORANGE
NEGATIVE_COLOR = VERMILLION
POSITIVE_COLOR = BLUE

PLOT_RC = {
    "svg.fonttype": "none",  # keep text as <text>, not glyph paths: much smaller, selectable
    "svg.hashsalt": "shoprel",  # deterministic ids, so the same run renders the same bytes
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": cycler(color=list(SERIES)),
}
_SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def new_figure(width: float, height: float, ncols: int = 1, nrows: int = 1):
    """A figure on an explicit Agg canvas, outside pyplot's registry; returns (figure, axes).

    Only multi-panel figures get constrained layout (it doubles the drawing time); single
    panels are cropped with bbox_inches="tight" in :func:`svg` instead.
    """
    layout = "constrained" if nrows * ncols > 1 else None
    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes.ravel()


def svg(fig: Figure, prefix: str, title: str) -> str:
    """Serialise a figure to inline, accessible SVG text.

    The XML prolog/DOCTYPE is dropped (invalid inside HTML); every id gets a per-figure prefix,
    because several figures on one page would otherwise reuse ids like 'axes_1'; the root gets
    ``role="img"`` and a ``<title>`` naming what the chart shows.
    """
    buf = io.StringIO()
    tight = "tight" if fig.get_layout_engine() is None else None
    fig.savefig(buf, format="svg", metadata=_SVG_METADATA, bbox_inches=tight)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'(\s)id="([^"]+)"', rf'\1id="{prefix}-\2"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    title_id = f"{prefix}-title"
    open_end = text.index(">") + 1
    text = (
        text[: open_end - 1]
        + f' role="img" aria-labelledby="{title_id}">'
        + f'<title id="{title_id}">{esc(title)}</title>'
        + text[open_end:]
    )
    return f'<div class="plot">{text}</div>'


def figure_block(svg_text: str, caption: str) -> str:
    """Wrap an inline SVG with a caption that says how to read it."""
    return f"<figure>{svg_text}<figcaption>{caption}</figcaption></figure>"


def probability_density_axes(ax) -> None:
    """The score-density plots' frame: out-of-fold probability 0..1 against density, the
    legend above the plot: inside it covered the bars wherever the scores crowd a corner (a
    QI run's scores peak at 0.3, under the upper-left legend)."""
    ax.set_xlim(0, 1)
    ax.set_xlabel("out-of-fold probability")
    ax.set_ylabel("density")
    legend_above(ax)


def legend_above(ax, ncols: int = 2) -> None:
    """The legend in columns just above the plot (a single-panel figure's tight crop keeps
    it): no corner of the plot is sure to stay empty of data."""
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=ncols,
              fontsize=LEGEND_SIZE, frameon=False, borderaxespad=0)
