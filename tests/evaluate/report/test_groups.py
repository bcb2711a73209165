"""Per-language charts: what the legend says a marker means holds in every panel."""

from __future__ import annotations

import html
import re

from matplotlib import rc_context
from tests.evaluate.markup import without_roles
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.groups import dot_plot_svg, language_section
from shoprel.evaluate.report.svg import PLOT_RC
from shoprel.evaluate.run_metrics import prediction_table


def chart_texts(svg_text: str) -> list[str]:
    """The words a chart shows (the report's style keeps them as <text>)."""
    return [html.unescape(t).replace("\u200b", "")
            for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg_text)]


def test_the_roc_auc_panel_is_not_said_to_be_judged_against_0():
    """A circle in the ROC-AUC panel means the interval lies above chance (0.5); the legend
    said 'interval above 0' for both panels."""
    oof = scored_oof()
    metrics = metrics_for(oof)
    with rc_context(PLOT_RC):
        texts = chart_texts(language_section(metrics, prediction_table(oof, metrics)))
    legend = [t for t in texts if t.startswith("interval ")]
    assert legend and set(legend) <= {"interval above reference", "interval below reference",
                                      "interval includes reference"}
    assert "ΔF1 over all-positive" in texts and "(reference 0)" in texts
    assert "(reference: chance 0.5)" in texts


def test_a_chart_of_differences_keeps_0_as_its_reference():
    interval = {"mean": 0.02, "low": 0.01, "high": 0.03, "k": 5}
    with rc_context(PLOT_RC):
        chart = dot_plot_svg({"en": {"n": 100, "delta_auc": interval}},
                             [("delta_auc", "ΔROC-AUC", 0.0, [(0.0, "--", "zero")])], "x", "t")
    assert "interval above 0" in chart_texts(chart)


def test_per_language_thresholds_print_as_the_verdict_prints_the_threshold():
    """The verdict said 'Final threshold 0.5209', this section 'Global threshold 0.521'."""
    from shoprel.evaluate.report.groups import language_threshold_section
    from shoprel.evaluate.report.verdict import threshold_text

    block = {"shrinkage": 200.0, "global_threshold": 0.520861620819095,
             "global_f1_nested": 0.8103, "per_language_f1_nested": 0.8090,
             "used_by_predict": False,
             "languages": {"en": {"n": 117, "best": 0.5596286, "threshold": 0.5351699},
                           "es": {"n": 108, "best": 0.2869064, "threshold": 0.4388254}}}
    metrics = {"threshold": 0.520861620819095, "per_language_thresholds": block,
               "threshold_selection": {"method": "oof_f1", "description": "best F1"}}
    html = language_threshold_section(metrics)
    assert "Global threshold 0.5209," in html and "Final threshold 0.5209 " in \
        threshold_text(metrics)
    assert "<th>en</th><td>117</td><td>0.5596</td><td>0.5352</td>" in html
    assert "<th>es</th><td>108</td><td>0.2869</td><td>0.4388</td>" in html


def test_a_charted_languages_delta_f1_is_coloured_as_its_dot():
    """A real QI run's only language: ΔF1 +0.040 printed in the gain colour right under its
    grey diamond (interval -0.013 to +0.093)."""
    from shoprel.evaluate.intervals import verdict
    from shoprel.evaluate.report.groups import language_intervals

    oof = scored_oof(signal=1.0, backwards="none")
    metrics = metrics_for(oof)
    rows = prediction_table(oof, metrics)
    with rc_context(PLOT_RC):
        html = without_roles(language_section(metrics, rows))
    table = html.split("<tbody>", 1)[1]
    shown = {}
    for name, iv in language_intervals(rows).items():
        row = table.split(f"<th>{name}</th>", 1)[1].split("</tr>", 1)[0]
        cls, text = re.findall(r'<td class="([^"]+)">([^<]*)</td>', row)[0]
        assert cls == verdict(iv["delta_f1"]), (name, cls, text)
        shown[cls] = text
    assert set(shown) == {"gain", "unclear"}  # en +0.040 across 0, es +0.042 above it
    assert all(float(text) > 0.03 for text in shown.values())
    small = html.split("<details>", 1)[1]
    assert re.search(r'<th>tl</th>(?:<td>[^<]*</td>){4}<td class="(better|worse|na)">', small)


def test_a_language_table_colours_only_what_an_interval_shows_charted_or_not():
    """The per-language table coloured by its sign a language under 30 rows (tl, +0.3 in the
    gain colour on five rows) and one past the chart's 20: both had no interval to say it
    was beyond fold-to-fold noise. Now coloured as the category table, by the same code."""
    from shoprel.evaluate.intervals import DIFFERENCE, paired_interval, verdict
    from shoprel.evaluate.metrics import binary_metrics
    from shoprel.evaluate.report.groups import MAX_CHART_GROUPS, language_intervals

    oof = scored_oof(n=3000, signal=1.0, backwards="none")
    # 25 languages of 120 rows in runs of five, so each has 24 rows in every fold (l00 less
    # tl's: past the chart, which takes 20), and tl's five rows, all right
    oof["language"] = [f"l{i // 5 % 25:02d}" for i in range(3000)]
    oof.loc[:4, ["language", "label", "probability"]] = ([["tl", 1, 0.99]] * 3
                                                         + [["tl", 0, 0.01]] * 2)
    metrics = metrics_for(oof)
    rows = prediction_table(oof, metrics)
    with rc_context(PLOT_RC):
        html = without_roles(language_section(metrics, rows))
    cells = _delta_cells(html.split("<details>", 1)[0])
    charted = language_intervals(rows)
    past = {}
    for name, part in rows[~rows["language"].isin([*charted, "tl"])].groupby("language"):
        values = []
        for _, fold in part.groupby("fold"):
            m = binary_metrics(fold["label"], fold["prediction"])
            values.append(m["f1"] - m["baseline_all_positive_f1"])
        past[name] = verdict(paired_interval(values, bounds=DIFFERENCE))
    assert len(charted) == MAX_CHART_GROUPS and len(past) == 5
    for name, iv in charted.items():
        assert cells[name][0] == verdict(iv["delta_f1"]), name
    assert {name: cells[name][0] for name in past} == past
    # charted or not, some gains are coloured and some positive ΔF1s are not: their interval
    # over the folds includes 0 (a sign would have coloured every one)
    for names in (charted, past):
        shown = [cells[name] for name in names]
        assert {"gain", "unclear"} <= {cls for cls, _ in shown}, shown
        assert any(cls == "unclear" and float(text) > 0 for cls, text in shown), shown
    small = html.split("<details>", 1)[1]
    tl = re.search(r'<th>tl</th>(?:<td>[^<]*</td>){4}<td class="([^"]+)">([^<]*)<', small)
    assert tl.groups()[0] == "na" and float(tl.groups()[1]) > 0
    assert "a language group under 30 rows is not coloured" in html
    assert "a charted language's colour is its dot's" in html


def test_per_language_auc_intervals_are_those_of_binary_metrics():
    """The chart computes ROC-AUC alone (for speed): the same per-fold values as the run's
    metrics give, one-class folds skipped alike."""
    import numpy as np

    from shoprel.evaluate.intervals import AUC_OVER_CHANCE, paired_interval
    from shoprel.evaluate.metrics import binary_metrics
    from shoprel.evaluate.report.groups import language_intervals

    oof = scored_oof(signal=1.0, backwards="none")
    metrics = metrics_for(oof)
    rows = prediction_table(oof, metrics)
    rows.loc[(rows["language"] == "fr") & (rows["fold"] == 0), "label"] = 1  # one class
    got = language_intervals(rows)
    for name in ("en", "es", "fr"):
        part = rows[rows["language"] == name]
        aucs = [binary_metrics(f["label"], f["prediction"], f["probability"])["roc_auc"]
                for _, f in part.groupby("fold")]
        values = [None if a is None else a - 0.5 for a in aucs]
        want = paired_interval(values, bounds=AUC_OVER_CHANCE)
        assert got[name]["delta_auc"]["k"] == want["k"] == (4 if name == "fr" else 5)
        assert np.allclose([got[name]["delta_auc"][k] for k in ("mean", "low", "high")],
                           [want[k] for k in ("mean", "low", "high")], rtol=0, atol=1e-12)


def _delta_cells(section_html: str) -> dict[str, tuple[str, str]]:
    """{group: (class, text)} of the Δ F1 cells of a section's large groups (the small ones'
    rows have a class, the agreement table's fewer cells)."""
    return {name: (cls, text) for name, cls, text in re.findall(
        r'<tr><th>(\w+)</th>(?:<td>[^<]*</td>){4}<td class="([^"]+)">([^<]*)</td>',
        section_html)}


def test_category_and_detected_language_tables_colour_only_what_their_interval_shows():
    """The category and detected-language tables coloured Δ F1 by its sign: +0.036 in the
    gain colour whose interval over the folds includes 0. Now coloured as the per-language
    table is, by the verdict of its paired per-fold interval, and the hint says so."""
    from shoprel.evaluate.intervals import verdict
    from shoprel.evaluate.report.groups import (
        category_section,
        detected_language_section,
        language_intervals,
    )

    oof = scored_oof(signal=1.0, backwards="none")
    oof["detected_language"] = oof["language"]
    metrics = metrics_for(oof)
    rows = prediction_table(oof, metrics)
    assert metrics["per_detected_language"] and metrics["per_category"]
    for section, column in ((category_section, "top_category"),
                            (detected_language_section, "detected_language")):
        html = without_roles(section(metrics, rows))
        cells = _delta_cells(html)
        want = {name: verdict(iv["delta_f1"])
                for name, iv in language_intervals(rows, column).items()}
        assert {name: cls for name, (cls, _) in cells.items()} == want
        assert "gain" in want.values() and "unclear" in want.values()
        assert all(float(text) > 0.03 for _, text in cells.values())  # each "better" by sign
        assert "coloured blue or orange only where its 95% interval over the folds" in html


def test_without_per_fold_rows_a_category_delta_is_left_uncoloured():
    from shoprel.evaluate.report.groups import category_section

    oof = scored_oof(signal=1.0, backwards="none")
    html = without_roles(category_section(metrics_for(oof)))
    assert {cls for cls, _ in _delta_cells(html).values()} == {"na"}
    assert "Δ F1 is not coloured: the out-of-fold rows carry no top category per fold" in html


def test_the_language_section_scores_each_language_and_folds_f1_once(monkeypatch):
    """The chart's ΔF1 intervals and the table's colours were two passes over the same
    (language, fold) slices; one pass now feeds both, with the same numbers: each charted
    dot's interval is that of the per-fold F1 differences, and each table colour its verdict."""
    from shoprel.evaluate.intervals import DIFFERENCE, paired_interval, verdict
    from shoprel.evaluate.report import groups

    oof = scored_oof(n=3000, signal=1.0, backwards="none")
    oof["language"] = [f"l{i // 5 % 25:02d}" for i in range(3000)]  # 25 of 120; 20 charted
    metrics = metrics_for(oof)
    rows = prediction_table(oof, metrics)
    want = {}
    for name, part in rows.groupby("language"):
        values = [groups.binary_metrics(f["label"], f["prediction"]) for _, f in
                  part.groupby("fold")]
        want[name] = paired_interval([m["f1"] - m["baseline_all_positive_f1"] for m in values],
                                     bounds=DIFFERENCE)
    slices = []
    scored = groups.binary_metrics
    monkeypatch.setattr(groups, "binary_metrics", lambda *a: slices.append(1) or scored(*a))
    charted = []
    monkeypatch.setattr(groups, "dot_plot_svg", lambda intervals, *a, **k: charted.append(
        dict(intervals)) or "<svg></svg>")
    html = without_roles(groups.language_section(metrics, rows))
    assert len(slices) == 25 * 5
    assert len(charted[0]) == groups.MAX_CHART_GROUPS
    for name, iv in charted[0].items():
        assert {k: iv["delta_f1"][k] for k in ("mean", "low", "high", "k")} == \
            {k: want[name][k] for k in ("mean", "low", "high", "k")}, name
    cells = _delta_cells(html)
    assert {name: cls for name, (cls, _) in cells.items()} == \
        {name: verdict(iv) for name, iv in want.items()}


def test_past_the_charts_20_languages_untagged_rows_stay_and_the_rest_are_named():
    """Past 20 languages the chart took the first 20 in the table's order, untagged last, so
    `unk` left it first however many rows it held, and nothing said which had gone."""
    from shoprel.evaluate.report.groups import language_intervals

    # unk 240 rows (the largest), l00-l23 120 each: 25 languages of at least 30 rows
    oof = scored_oof(n=3120, signal=1.0, backwards="none")
    oof["language"] = ["unk"] * 240 + [f"l{i // 5 % 24:02d}" for i in range(2880)]
    metrics = metrics_for(oof)
    rows = prediction_table(oof, metrics)
    charted = list(language_intervals(rows))
    assert charted == [f"l{i:02d}" for i in range(19)] + ["unk"]
    with rc_context(PLOT_RC):
        html = language_section(metrics, rows)
    caption = html.split("<figcaption>", 1)[1].split("</figcaption>", 1)[0]
    assert ("5 more languages of at least 30 rows (l19, l20, l21, l22, l23: 600 rows) are in "
            "the table, not the chart.") in caption
    # untagged rows past the chart's 20 are named as rows with no tag
    oof["language"] = [f"l{i // 5 % 24:02d}" for i in range(2880)] + ["unk"] * 240
    oof.loc[oof.index[-240:-100], "language"] = "l99"  # unk now 100 rows, the smallest
    rows = prediction_table(oof, metrics_for(oof))
    with rc_context(PLOT_RC):
        html = language_section(metrics_for(oof), rows)
    assert "unk (rows with no language tag)" in html.split("<figcaption>", 1)[1]


def test_the_legend_names_only_the_markers_drawn():
    """A one-language QI run (every interval above its reference) listed the square and the
    diamond too, which no dot of the chart was."""
    above = {"mean": 0.04, "low": 0.01, "high": 0.07, "k": 5}
    across = {"mean": 0.01, "low": -0.02, "high": 0.04, "k": 5}
    with rc_context(PLOT_RC):
        chart = dot_plot_svg({"en": {"n": 1500, "delta_f1": above, "delta_auc": across}},
                             [("delta_f1", "ΔF1", 0.0, [(0.0, "--", "zero")]),
                              ("delta_auc", "ΔAUC", 0.0, [(0.0, "--", "zero")])], "x", "t")
    legend = [t for t in chart_texts(chart) if t.startswith("interval ")]
    assert legend == ["interval above 0", "interval includes 0"]
