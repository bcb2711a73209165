"""The report's first screen, error analysis and accessibility: what a reader must be able to
trust at a glance (issue 16)."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from tests.evaluate.markup import without_roles

from shoprel.data.tasks import Task
from shoprel.evaluate.report import render_report
from shoprel.evaluate.run_metrics import prediction_table, run_metrics


def scored_oof(n: int = 900, signal: float = 1.2, seed: int = 0,
               backwards: str = "food") -> pd.DataFrame:
    """OOF rows with text, languages (one tiny), categories (one the model gets backwards)."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.68).astype(int)
    language = rng.choice(["en", "es", "fr"], size=n, p=[0.6, 0.3, 0.1])
    language[:5] = "tl"  # a language with five rows
    category = rng.choice(["home", "toys", "food"], size=n)
    direction = np.where(category == backwards, -1.0, 1.0)  # scores point the wrong way
    logit = signal * direction * (2 * label - 1) + rng.normal(0, 1.3, n) + 0.6
    return pd.DataFrame({
        "id": np.arange(n), "fold": np.arange(n) % 5,
        "probability": 1 / (1 + np.exp(-logit)), "label": label, "language": language,
        "query": [f"query <{i}>" for i in range(n)],
        "target": [f"{c},sub" for c in category], "top_category": category,
    })


def metrics_for(oof: pd.DataFrame) -> dict:
    from shoprel.evaluate.metrics import best_f1_threshold

    threshold = best_f1_threshold(oof["label"], oof["probability"])[0]
    m = run_metrics(oof, threshold, Task.QC)
    m.update({"run_name": "trust", "model": {"family": "fast", "params": {}},
              "data": {"train_file": "/home/someone/secret/train_QC.txt"}})
    return m


@pytest.fixture(scope="module")
def oof() -> pd.DataFrame:
    return scored_oof()


@pytest.fixture(scope="module")
def metrics(oof) -> dict:
    return metrics_for(oof)


@pytest.fixture(scope="module")
def doc(metrics, oof) -> str:
    return without_roles(render_report(metrics, oof, "trust run"))


def section(doc: str, name: str) -> str:
    return doc.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]


def test_verdict_comes_first_with_intervals(doc: str, metrics: dict) -> None:
    body = doc[doc.index("<main>"):]
    first = re.findall(r'<section id="([^"]+)"', body)
    assert first[:3] == ["verdict", "facts", "errors"]
    verdict = section(doc, "verdict")
    delta = metrics["uncertainty"]["delta_f1"]
    shown = f"{delta['mean']:+.3f}", f"{delta['low']:+.3f}"
    assert all(text.replace("-", "\u2212") in verdict for text in shown)
    assert "interval" in verdict and "5 folds" in verdict
    for key in ("roc_auc", "average_precision", "brier"):
        assert f"{metrics['overall'][key]:.3f}" in verdict
    assert "Predicted relevant" in verdict and "nested" in verdict.lower()
    rate = metrics["overall"]["positive_rate"]
    assert f"{rate * (1 - rate):.3f}" in verdict  # Brier of a constant positive-rate guess


def test_verdict_says_which_figures_are_pooled_and_which_are_means_over_folds() -> None:
    """The pooled ΔF1 (what the tables show) and the mean of the per-fold ΔF1 (what the interval
    is of) differ, here by folds of unequal size; each is named, so side by side they do not
    read as a mismatch."""
    oof = scored_oof(signal=2.0, backwards="none")
    oof["fold"] = np.minimum(np.arange(len(oof)) // 100, 4)  # the last fold: 500 of 900 rows
    metrics = metrics_for(oof)
    doc = without_roles(render_report(metrics, oof, "pooled"))
    overall, delta = metrics["overall"], metrics["uncertainty"]["delta_f1"]
    pooled = overall["f1"] - overall["baseline_all_positive_f1"]
    assert abs(pooled - delta["mean"]) > 0.01  # the case a reader tripped on
    verdict = section(doc, "verdict")
    assert re.search(re.escape(
        f"Pooled out-of-fold: F1 {overall['f1']:.3f} against all-positive "
        f"{overall['baseline_all_positive_f1']:.3f} (ΔF1 {pooled:+.3f}). Mean over folds: ΔF1 "
    ) + r'<span class="\w+">' + re.escape(f"{delta['mean']:+.3f} (95% interval"), verdict)
    auc = metrics["uncertainty"]["delta_auc"]["mean"]
    assert re.search(re.escape(
        f"Pooled out-of-fold: ROC-AUC {metrics['overall']['roc_auc']:.3f}. Mean over folds: "
        "ΔAUC over chance (0.5) ") + r'<span class="\w+">' + re.escape(f"{auc:+.3f} (95%"),
        verdict)
    languages = section(doc, "languages")
    assert "Table: each language pooled over its out-of-fold rows" in languages
    assert "the chart's dots are means over folds" in languages
    en = metrics["per_language"]["en"]
    row = languages.split("<th>en</th>", 1)[1].split("</tr>", 1)[0]
    assert f"{en['f1'] - en['baseline_all_positive_f1']:+.3f}</td>" in row  # the pooled Δ


ALL_RELEVANT = "calls every row relevant, so its F1 is the all-positive answer's, not a model's"


@pytest.mark.parametrize(("seed", "every_row"), [(3, True), (0, False)])
def test_a_model_that_calls_everything_relevant_is_no_gain(seed, every_row) -> None:
    """A model that calls every row relevant says so, in metrics.json (`all_relevant`, as a
    carried student's block) and the verdict: its F1 is the base F1, which the verdict called
    only "nearly everything"; one that leaves a single row out (899 of 900) is nearly."""
    oof = scored_oof(signal=0.05, seed=seed)
    metrics = metrics_for(oof)
    rate = metrics["overall"]["predicted_positive_rate"]
    assert rate == 1.0 if every_row else 0.9 < rate < 1.0
    assert metrics.get("all_relevant") == (f"it {ALL_RELEVANT}" if every_row else None)
    doc = render_report(metrics, oof, "weak")
    verdict = html.unescape(section(doc, "verdict"))
    assert 'class="verdict verdict-unclear"' in doc and "No clear gain" in verdict
    assert 'class="gain"' not in verdict.split("ROC-AUC")[0]
    assert (f"the run {ALL_RELEVANT}" in verdict) is every_row
    assert ("nearly everything is called relevant" in verdict) is not every_row


def test_a_clear_gain_is_marked_as_one() -> None:
    oof = scored_oof(signal=3.0, seed=4, backwards="none")
    metrics = metrics_for(oof)
    assert metrics["uncertainty"]["delta_f1"]["low"] > 0
    doc = render_report(metrics, oof, "strong")
    assert 'class="verdict verdict-gain"' in doc and "Beats predicting everything" in doc


def test_facts_are_folded_without_absolute_paths(doc: str) -> None:
    facts = section(doc, "facts")
    assert facts.startswith("><details>") and "train_QC.txt" in facts
    assert "/home/someone" not in doc


def test_confusion_matrix_and_most_confident_errors(doc: str, metrics: dict, oof) -> None:
    rows = prediction_table(oof, metrics)
    errors = section(doc, "errors")
    fp = rows[(rows.prediction == 1) & (rows.label == 0)]
    fn = rows[(rows.prediction == 0) & (rows.label == 1)]
    assert f"{len(fp):,} <small>" in errors and f"{len(fn):,} <small>" in errors
    top_fp = fp.sort_values("probability", ascending=False).head(20)
    top_fn = fn.sort_values("probability").head(20)
    parts = {part.split(" <small>")[0]: part for part in errors.split("<h3>")}
    fp_part = parts["Most confident false positives"]
    positions = [fp_part.index(f"query &lt;{i}&gt;</td>") for i in top_fp["id"]]
    assert positions == sorted(positions)  # most confident first, text escaped
    fn_part = parts["Most confident false negatives"]
    assert all(f"query &lt;{i}&gt;</td>" in fn_part for i in top_fn["id"])
    assert fn_part.count("<tr>") == 1 + len(top_fn)


def test_weak_category_is_flagged_with_its_n(doc: str, metrics: dict) -> None:
    food = metrics["per_category"]["food"]
    assert food["roc_auc"] < 0.5
    errors = section(doc, "errors")
    assert "<strong>food</strong>" in errors and "below chance" in errors
    assert f"{food['n']:,} rows" in errors
    assert "<strong>home</strong>" not in errors


def test_small_language_is_folded_and_greyed(doc: str) -> None:
    languages = section(doc, "languages")
    main_table, small = languages.split("<details>", 1)
    assert "<th>tl</th>" not in main_table and "<th>en</th>" in main_table
    assert '<tr class="small"><th>tl</th><td>5</td>' in small
    assert "fewer than 30 rows" in small


def test_every_svg_has_an_accessible_name(doc: str) -> None:
    svgs = re.findall(r"<svg\b[^>]*>\s*<title id=\"([^\"]+)\">([^<]+)</title>", doc)
    assert len(svgs) == doc.count("<svg") >= 7
    for title_id, text in svgs:
        assert f'aria-labelledby="{title_id}"' in doc and text.strip()
    assert doc.count('role="img"') == doc.count("<svg")


def test_old_runs_say_their_threshold_was_tuned_in_sample(metrics: dict, oof) -> None:
    old = {k: v for k, v in metrics.items() if k not in ("threshold_selection", "uncertainty")}
    verdict = section(render_report(old, oof, "old"), "verdict")
    assert "method not recorded" in verdict and "optimistic" in verdict


def test_learning_curve_is_plotted_when_the_run_has_one(metrics: dict, oof) -> None:
    curve = {"points": [
        {"fraction": 0.5, "rows": 450, "roc_auc": 0.70, "f1": 0.80, "baseline_f1": 0.80,
         "fold_roc_auc": [0.68, 0.71, 0.70, 0.72, 0.69]},
        {"fraction": 1.0, "rows": 900, "roc_auc": 0.74, "f1": 0.82, "baseline_f1": 0.80,
         "fold_roc_auc": [0.73, 0.75, 0.74, 0.72, 0.76]}]}
    doc = without_roles(render_report(metrics, oof, "lc", learning_curve=curve))
    part = section(doc, "learning-curve")
    assert "<svg" in part and "<td>450</td>" in part and "0.740" in part
    assert ("From 450 to 900 training rows per fold, the pooled out-of-fold ROC-AUC moved "
            "+0.0400 (mean over the 5 folds +0.0400, 95% interval") in part
    assert "Out-of-fold ROC-AUC pooled over all rows (dots; bars: 95% interval of the mean " \
        "over folds" in part
    assert "still rising" in part
    assert 'id="learning-curve"' not in render_report(metrics, oof, "no lc")


def curve_points(*folds_per_point: list[float]) -> list[dict]:
    return [{"fraction": (i + 1) / len(folds_per_point), "rows": 100 * 2 ** i,
             "roc_auc": sum(folds) / len(folds), "fold_roc_auc": folds}
            for i, folds in enumerate(folds_per_point)]


def test_the_learning_curve_says_whether_its_last_step_rose_beyond_the_folds_spread() -> None:
    """The caption read "Still rising at the right: more labelled rows should help" whatever
    the curve did; it now reads the last step fold by fold (the same folds at every size)."""
    from shoprel.evaluate.report.learning import last_step_verdict

    rising = last_step_verdict(curve_points([0.70, 0.72, 0.71], [0.73, 0.75, 0.73]))
    assert rising.startswith("From 100 to 200 training rows per fold, the pooled out-of-fold "
                             "ROC-AUC moved +0.0267")
    assert "3 folds" in rising and "still rising" in rising
    flat = last_step_verdict(curve_points([0.700, 0.720, 0.710], [0.701, 0.719, 0.711]))
    assert "+0.0003" in flat and "flat within the folds' spread" in flat
    assert "unlikely to pay much" in flat
    fell = last_step_verdict(curve_points([0.73, 0.75, 0.74], [0.70, 0.72, 0.70]))
    assert "\u22120.0333" in fell and "it fell" in fell
    assert "One point only" in last_step_verdict(curve_points([0.7, 0.7]))
    # the pooled AUC sits apart from the folds' mean: each figure says which it is
    apart = curve_points([0.70, 0.72, 0.71], [0.73, 0.75, 0.73])
    apart[1]["roc_auc"] = 0.715
    assert ("the pooled out-of-fold ROC-AUC moved +0.0050 (mean over the 3 folds +0.0267, 95% "
            "interval") in last_step_verdict(apart)
    no_folds = [{k: v for k, v in p.items() if k != "fold_roc_auc"}
                for p in curve_points([0.7, 0.7], [0.8, 0.8])]
    assert "no interval" in last_step_verdict(no_folds)
    unknown = curve_points([0.7, 0.7], [0.8, 0.8])
    unknown[1]["roc_auc"] = None
    assert last_step_verdict(unknown).endswith("ROC-AUC is not known at both sizes.")


def test_a_last_step_whose_interval_allows_a_large_gain_is_not_called_flat() -> None:
    """A 1,000-row QC run with --folds 2 rose 0.485, 0.574, 0.640, 0.703, yet the caption said
    "flat ... unlikely to pay much" because two folds' interval (-0.07 to +0.19) held zero; an
    interval that wide cannot rule a rise out, so it must not say more rows will not pay."""
    from shoprel.evaluate.report.learning import last_step_verdict

    wide = last_step_verdict(curve_points([0.638769, 0.656371], [0.706610, 0.703726]))
    assert "+0.0576" in wide and "one of +0.1877" in wide
    assert "unlikely" not in wide and "flat" not in wide
    assert "cannot tell whether more rows of this kind pay" in wide
    # the three-fold step of +0.0033 whose interval reaches +0.0320 is not called flat either
    three = last_step_verdict(curve_points([0.70, 0.72, 0.71], [0.71, 0.71, 0.72]))
    assert "cannot tell" in three and "+0.0320" in three


def test_a_curve_point_whose_fold_models_scored_every_row_alike_is_not_plotted(
        monkeypatch) -> None:
    """10% of a small set left two of three fold models constant: the curve plotted their
    ROC-AUC as a measurement and read the last step from it."""
    from matplotlib.axes import Axes

    from shoprel.evaluate.report.learning import last_step_verdict, learning_curve_section

    drawn = []
    plot = Axes.plot

    def recording(self, x, y, *args, **kwargs):
        drawn.append((kwargs.get("label"), list(x), list(y)))
        return plot(self, x, y, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", recording)

    points = curve_points([0.5, 0.5, 0.62], [0.70, 0.72, 0.71], [0.73, 0.75, 0.73])
    points[0].update(f1=0.8, baseline_f1=0.8, constant_folds=[0, 1])
    for p in points[1:]:
        p.update(f1=0.82, baseline_f1=0.8, constant_folds=[])
    part = without_roles(learning_curve_section({"points": points}))
    assert ("At 33% of the rows (100 training rows per fold), the models of folds 0 and 1 (of "
            "3) gave every row the same score (too few rows to learn from), so its ROC-AUC "
            "(0.540) and F1 measure no model: the point is left off the plot") in part
    assert "<td>0.540 (constant)</td><td>0.800 (constant)</td>" in part
    assert "still rising" in part  # the last step, between measured points, is read as before
    lines = {label: (x, y) for label, x, y in drawn if label}
    assert lines["OOF ROC-AUC"][0] == [200, 400] and lines["OOF F1"][0] == [200, 400]
    assert lines["all-positive F1"][0] == [100, 200, 400]  # the baseline is no model's
    assert [x for label, x, _ in drawn if label is None] == [[200, 200], [400, 400]]  # bars
    assert last_step_verdict(points[:2]).endswith(
        ": at one of the two sizes fold models gave every row the same score, so the curve "
        "cannot tell whether more rows of this kind pay.")


def test_learning_curve_is_read_from_metrics_or_the_run_folder(metrics: dict, oof,
                                                               tmp_path) -> None:
    import json

    from shoprel.evaluate.report import write_run_report

    curve = {"points": [{"fraction": 0.25, "rows": 180, "roc_auc": 0.61, "f1": 0.8,
                         "baseline_f1": 0.8, "fold_roc_auc": [0.6, 0.62, 0.61]},
                        {"fraction": 1.0, "rows": 720, "roc_auc": 0.66, "f1": 0.81,
                         "baseline_f1": 0.8, "fold_roc_auc": [0.65, 0.67, 0.66]}]}
    doc = without_roles(render_report({**metrics, "learning_curve": curve}, oof,
                                      "lc in metrics"))
    assert "<td>180</td>" in section(doc, "learning-curve")
    # each point's share as the caption says it ('At 25% of the rows'), where it read 0.25
    assert ("<th>share of rows</th>" in section(doc, "learning-curve")
            and "<tr><th>25%</th><td>180</td>" in section(doc, "learning-curve")
            and "<tr><th>100%</th><td>720</td>" in section(doc, "learning-curve"))
    (tmp_path / "run.json").write_text(json.dumps({"task": "QC", "threshold": 0.5}))
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "learning_curve.json").write_text(json.dumps(curve))
    oof.to_parquet(tmp_path / "oof.parquet", index=False)
    text = without_roles(write_run_report(tmp_path).read_text(encoding="utf-8"))
    assert "<td>720</td>" in section(text, "learning-curve")
