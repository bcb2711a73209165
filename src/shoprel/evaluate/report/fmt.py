"""Turning metric values and user text into safe, uniform HTML text.

Every value shown in a report passes through here: names, codes and queries come from users'
files and must be escaped; metrics may be null (a one-class group has no AUC) and show as '–'.
A negative figure is written with the true minus (U+2212), as the charts' ticks are: the text
beside a chart read '-0.002' where its axis read '−0.002', and a minus as wide as '+' keeps a
column of signed figures aligned. The report is for reading: metrics.json keeps the values to
copy, the console's summaries keep ASCII hyphens for scripts, and a config's own values (model
parameters) are shown as written.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np

from shoprel.augment.languages import by_rows
from shoprel.utils.html_text import esc  # the report's modules import it from here
from shoprel.utils.scalars import recorded_number

MISSING = "–"
MINUS = "\u2212"  # matplotlib's ticks draw it (axes.unicode_minus)
# a hyphen before a number that no word, number nor hyphen precedes: '-0.002', '(-0.004 to',
# never 'pt-BR', 'fold-1' nor '2024-05'
_NUMBER_HYPHEN = re.compile(r"(?<![\w.\-−])-(?=\.?\d)")


def num(value: Any) -> float:
    """Metric value as float, NaN when null/missing/non-numeric, so plots can skip it."""
    return recorded_number(value)


def rows_in(groups) -> int:
    """The rows of (name, row) groups, by each row's `n`; a group without one counts none
    (a NaN there is no count to add)."""
    return sum(int(n) for n in (num(row.get("n")) for _, row in groups) if not math.isnan(n))


def minus_signs(text: str) -> str:
    """`text` (figures a report shows) with each number's leading hyphen the true minus."""
    return _NUMBER_HYPHEN.sub(MINUS, text)


def _cell(value: Any, render) -> str:
    x = num(value)
    return MISSING if math.isnan(x) else minus_signs(render(x))


def fmt(value: Any, digits: int = 3) -> str:
    """Format a metric for a table cell; nulls (e.g. AUC of a one-class group) show as '–'."""
    return _cell(value, lambda x: f"{x:.{digits}f}")


def fmt_signed(value: Any, digits: int = 3) -> str:
    """A difference with its sign, '–' when missing; one that rounds to zero is '+0.000' from
    either side, as the group tables print it (a tiny loss read '-0.000')."""
    return _cell(value, lambda x: f"{x:+z.{digits}f}")


def fmt_int(value: Any) -> str:
    """Format a count with thousands separators, '–' when missing."""
    return _cell(value, lambda x: f"{round(x):,}")


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A rate as a percentage ('97.0%'), '–' when missing."""
    return _cell(value, lambda x: f"{100 * x:.{digits}f}%")


def fmt_threshold(value: Any) -> str:
    """A threshold to four decimals, as metrics.json's figures are matched by eye (0.43 as
    '0.4300'): 4 significant digits printed 0.453, 0.5838 and 0.18 down one column of
    per-language cuts. A cut under 0.001 keeps 4 significant digits (not '0.0000')."""
    return _cell(value, lambda x: f"{x:.4g}" if 0 < abs(x) < 1e-3 else f"{x:.4f}")


def mpl_text(value: Any) -> str:
    """Make user text literal for matplotlib: a '$' would otherwise start mathtext, and a
    legend leaves out a label that starts with '_' (a zero-width space before it keeps it)."""
    text = str(value).replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def short_label(name: str, limit: int = 22) -> str:
    """Chart labels stay short so the charts keep their width (the tables have full names)."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def legend_label(name: str, width: int = 24) -> str:
    """A run's name for a chart's legend, in lines of at most `width` characters (at a space
    where there is one, else anywhere): a long name (qc_fast_model_..._2026_12_05) widened the
    compare page's ROC and PR charts until a phone showed their text at 5 px, and cut short
    (short_label) two names of one prefix would read alike."""
    return "\n".join(textwrap.wrap(name, width, break_on_hyphens=False)) or name


def note(text: str) -> str:
    """A visible 'this part is unavailable' line, so a missing plot is never silent."""
    return f'<p class="note">{text}</p>'


def shorten(text: Any, limit: int = 140) -> str:
    """User text cut to ``limit`` characters (an ellipsis marks the cut), then escaped."""
    text = "" if text is None else str(text)
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


def with_delta(row: Mapping[str, Any]) -> dict[str, Any]:
    """Copy a metrics row adding F1 minus all-positive F1, the number that says if it helps."""
    out = dict(row)
    out.setdefault("delta_f1", num(row.get("f1")) - num(row.get("baseline_all_positive_f1")))
    return out


def sorted_groups(groups: Mapping[str, Mapping[str, Any]] | None) -> list[tuple[str, dict]]:
    """Groups as (name, row) sorted by n descending, then name, so big groups come first."""
    items = [(str(k), dict(v or {})) for k, v in (groups or {}).items()]
    return sorted(items, key=lambda kv: (-np.nan_to_num(num(kv[1].get("n"))), kv[0]))


def language_groups(groups: Mapping[str, Mapping[str, Any]] | None,
                    rows: Mapping[str, Any] | None = None) -> list[tuple[str, dict]]:
    """Groups keyed by language as (name, row), in the order every listing of languages
    takes (augment.languages.by_rows: most rows first, ties by code, untagged last), so each
    table and chart of a report lists the same languages alike. ``rows``: each language's
    rows where a group's own n counts something else (the far pairs built from them)."""
    items = {str(k): dict(v or {}) for k, v in (groups or {}).items()}
    counts = {name: float(np.nan_to_num(num(row.get("n") if rows is None else rows.get(name))))
              for name, row in items.items()}
    return [(name, items[name]) for name in by_rows(counts)]
