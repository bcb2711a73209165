"""Every per-language table and chart of a report lists its languages in one order, the one
translate, langid and predict's warnings use: most rows first, ties by code, untagged last."""

from __future__ import annotations

import re

from matplotlib import rc_context
from tests.evaluate.markup import without_roles
from tests.evaluate.report.test_groups import chart_texts
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.curves import threshold_section
from shoprel.evaluate.report.far_pairs import far_pairs_section
from shoprel.evaluate.report.groups import (
    detected_language_section,
    language_section,
    language_threshold_section,
)
from shoprel.evaluate.report.svg import PLOT_RC
from shoprel.evaluate.run_metrics import prediction_table
from shoprel.training.far_pairs import far_pairs_summary

# untagged rows the most, es and en tied (es first in the file), fr between; tl too small
ROWS = {"unk": 300, "es": 200, "en": 200, "fr": 250, "tl": 5}
ORDER = ["fr", "en", "es", "unk"]  # the 30 rows or more the chart and main tables show
ALL = ["fr", "en", "es", "tl", "unk"]


def row_names(html: str) -> list[str]:
    """The row headers of each table of ``html``, table by table."""
    return [re.findall(r"<tr[^>]*><th>([^<]*)</th>", body)
            for body in re.findall(r"<tbody>(.*?)</tbody>", without_roles(html), re.S)]


def test_every_language_table_and_chart_takes_one_order():
    """The per-language table put the untagged rows first (the most rows) and the far-pairs
    table sorted by code; the thresholds table kept ties in the file's order."""
    oof = scored_oof(n=sum(ROWS.values()), signal=1.0, backwards="none")
    oof["language"] = [lang for lang, n in ROWS.items() for _ in range(n)]
    oof["detected_language"] = oof["language"]
    metrics = metrics_for(oof)
    metrics["far_pairs"] = far_pairs_summary(
        oof[oof["label"] == 0].assign(probability=lambda d: d["probability"] * 0.8),
        metrics["threshold"], oof)
    metrics["per_language_thresholds"] = {"languages": {
        lang: {"n": n, "best": 0.5, "threshold": 0.5} for lang, n in ROWS.items()}}
    rows = prediction_table(oof, metrics)
    with rc_context(PLOT_RC):
        languages = language_section(metrics, rows)
        thresholds = threshold_section(metrics, rows)
    table, small = row_names(languages)
    assert (table, small) == (ORDER, ["tl"])
    chart = [t.split(" (n=")[0] for t in chart_texts(languages) if " (n=" in t]
    assert chart == ORDER  # top to bottom
    assert [t for t in chart_texts(thresholds) if t in ROWS] == ALL  # legend
    assert row_names(language_threshold_section(metrics)) == [ALL]
    agreement, detected, detected_small = row_names(detected_language_section(metrics, rows))
    assert (agreement, detected, detected_small) == (ALL, ORDER, ["tl"])
    far = row_names(far_pairs_section(metrics, rows))
    assert far == [[lang for lang in ALL if lang in metrics["far_pairs"]["per_language"]]]
    assert len(far[0]) >= 4
