"""Behaviour of the self-contained HTML CV report (shoprel.evaluate.report)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from tests.evaluate.markup import without_roles

from shoprel.errors import RunDirError
from shoprel.evaluate.console import timing_parts
from shoprel.evaluate.report import (
    f1_by_threshold,
    render_report,
    write_report,
    write_run_report,
)

THRESHOLD = 0.43
LANGUAGES = ("en", "ja", "de")
CATEGORIES = ("home & garden", "<script>alert(1)</script>", "toys")
N_PLOTS = 7  # ROC, calibration, languages, PR, F1-vs-threshold, score histograms, folds


def make_oof(n: int = 300, seed: int = 0, with_category: bool = True) -> pd.DataFrame:
    """Synthetic OOF frame: ~68 % positives, probabilities correlated with labels."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.68).astype(int)
    logit = 1.2 * (2 * label - 1) + rng.normal(0.0, 1.3, n) + 0.6
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "fold": np.arange(n) % 5,
            "probability": 1.0 / (1.0 + np.exp(-logit)),
            "label": label,
            "language": rng.choice(LANGUAGES, size=n, p=[0.5, 0.3, 0.2]),
        }
    )
    if with_category:
        frame["top_category"] = rng.choice(CATEGORIES, size=n)
    return frame


def group_metrics(frame: pd.DataFrame, threshold: float = THRESHOLD) -> dict:
    """The metrics.json keys for one group, computed with scikit-learn."""
    y, p = frame["label"].to_numpy(), frame["probability"].to_numpy()
    pred = (p >= threshold).astype(int)
    rate = float(y.mean())
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "positive_rate": rate,
        "f1": float(f1_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None,
        "predicted_positive_rate": float(pred.mean()),
        "baseline_all_positive_f1": float(f1_score(y, np.ones_like(y), zero_division=0)),
    }


def make_metrics(frame: pd.DataFrame, task: str = "QC") -> dict:
    """A metrics.json dict consistent with ``frame``."""
    metrics = {
        "task": task,
        "run_name": "demo-qc",
        "created": "2026-11-25T01:00:00+00:00",
        "model": {"family": "fast", "params": {"C": 1.0}},
        "threshold": THRESHOLD,
        "overall": group_metrics(frame),
        "per_language": {k: group_metrics(g) for k, g in frame.groupby("language")},
        "per_fold": [{"fold": int(k), **group_metrics(g)} for k, g in frame.groupby("fold")],
        "timing": {"cv_seconds": 31.2, "final_fit_seconds": 6.0},
    }
    if "top_category" in frame.columns:
        metrics["per_category"] = {k: group_metrics(g) for k, g in frame.groupby("top_category")}
    return metrics


@pytest.fixture(scope="module")
def oof() -> pd.DataFrame:
    return make_oof()


@pytest.fixture(scope="module")
def metrics(oof: pd.DataFrame) -> dict:
    return make_metrics(oof)


@pytest.fixture(scope="module")
def report(metrics: dict, oof: pd.DataFrame) -> str:
    return without_roles(render_report(metrics, oof, "Demo <QC> run"))


def external_loads(doc: str) -> list[str]:
    """src/href values and <script src>/<link> tags that would fetch something."""
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", doc, re.I)
    tags = re.findall(r"<script[^>]*\bsrc\b|<link\b[^>]*>|@import|url\(\s*['\"]?https?:", doc)
    return urls + tags


def test_complete_document(report: str) -> None:
    assert report.startswith("<!DOCTYPE html>")
    for tag in ("<html", "<head>", '<meta charset="utf-8">', "<style>", "<body>"):
        assert tag in report
    assert report.rstrip().endswith("</html>")
    assert report.count("<section") == report.count("</section>")
    assert "<title>Demo &lt;QC&gt; run</title>" in report


def test_one_inline_svg_per_plot(report: str) -> None:
    assert report.count("<svg") == N_PLOTS
    assert report.count("</svg>") == N_PLOTS
    assert "<?xml" not in report and "<!DOCTYPE svg" not in report


def test_svg_ids_are_unique_across_figures(report: str) -> None:
    ids = re.findall(r'\sid="([^"]+)"', report)
    assert len(ids) == len(set(ids))


def test_header_facts_and_threshold(report: str, metrics: dict) -> None:
    assert "0.43" in report
    for text in ("QC", "fast", "C=1.0", "demo-qc", "2026-11-25T01:00:00+00:00", "300"):
        assert text in report
    assert f"{metrics['overall']['baseline_all_positive_f1']:.3f}" in report
    assert f"{metrics['overall']['roc_auc']:.3f}" in report


def test_timing_fact_lists_stages_in_the_order_spent(metrics: dict, oof) -> None:
    """The fact read "cv: 396.9 s, final fit: 84.1 s, rows per second cv: 120, curve: 700.6 s"
    on a --learning-curve run: the curve last, under a name nothing else uses, and a stage 0's
    time nowhere. Now as train's summary and compare's cost table name and order them."""
    timed = {**metrics, "stage0": {"seconds": 7.34},
             "timing": {"cv_seconds": 396.91, "final_fit_seconds": 84.08,
                        "rows_per_second_cv": 120.3, "curve_seconds": 700.59}}
    doc = render_report(timed, oof, "timed")
    assert ("<th>timing</th><td>cv: 396.9 s (120 rows/s), stage 0: 7.3 s, learning curve: "
            "700.6 s, final fit: 84.1 s</td>") in without_roles(doc)


def test_a_hand_edited_stage_time_that_is_no_number_is_left_out(metrics: dict, oof) -> None:
    """A metrics.json edited to hold text (or an object's place held by a number) where a
    stage's seconds go was a TypeError out of `shoprel report` (round() on a str); each such
    stage is left out, as the report's other figures skip what num() cannot read."""
    edited = {**metrics, "stage0": 7, "student": {"seconds": "n/a"},
              "timing": {"cv_seconds": 31.2, "final_fit_seconds": "12.04",
                         "curve_seconds": "about a minute"}}
    doc = render_report(edited, oof, "edited")
    assert "<th>timing</th><td>cv: 31.2 s, final fit: 12.0 s</td>" in without_roles(doc)
    assert timing_parts(edited) == [("final fit", 12.04)]


def test_every_language_is_shown(report: str) -> None:
    for lang in LANGUAGES:
        assert f"<th>{lang}</th>" in report  # table row
        assert f">{lang}" in report


def test_languages_sorted_by_n_descending(report: str, metrics: dict) -> None:
    table = report[report.index('id="languages"') :]
    order = sorted(metrics["per_language"], key=lambda k: -metrics["per_language"][k]["n"])
    positions = [table.index(f"<th>{lang}</th>") for lang in order]
    assert positions == sorted(positions)


def test_no_external_resources(report: str) -> None:
    assert external_loads(report) == []
    assert "<script" not in report
    assert "<img" not in report


def test_external_load_check_catches_a_cdn() -> None:
    bad = '<script src="https://cdn.example/x.js"></script><link href="http://x/y.css">'
    assert external_loads(bad)


def test_malicious_category_name_is_escaped(report: str) -> None:
    assert "<script>alert(1)</script>" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "home &amp; garden" in report


HOSTILE_LANGUAGE = 'x"><img src=x onerror=alert(1)>$a$'


@pytest.fixture(scope="module")
def qi_report() -> str:
    """QI run: no top_category column, no per_category, a hostile language code and run name."""
    frame = make_oof(n=150, seed=1, with_category=False)
    frame.loc[frame["language"] == "de", "language"] = HOSTILE_LANGUAGE
    metrics = make_metrics(frame, task="QI")
    metrics["run_name"] = "<b>run</b>"
    metrics["model"]["params"] = {"note": "<i>"}
    return without_roles(render_report(metrics, frame, "QI run"))


def test_qi_without_top_category(qi_report: str) -> None:
    assert qi_report.count("<svg") == N_PLOTS
    assert 'id="categories"' not in qi_report
    for lang in ("en", "ja"):
        assert f"<th>{lang}</th>" in qi_report


def test_malicious_language_and_run_name_are_escaped(qi_report: str) -> None:
    assert "<img" not in qi_report and "<b>run" not in qi_report and "<i>" not in qi_report
    assert "&lt;img src=x onerror=alert(1)&gt;" in qi_report
    assert "&lt;b&gt;run&lt;/b&gt;" in qi_report
    assert external_loads(qi_report) == []


def test_null_roc_auc_and_missing_per_category(metrics: dict, oof: pd.DataFrame) -> None:
    m = copy.deepcopy(metrics)
    m["per_language"]["ja"]["roc_auc"] = None
    m["per_fold"][2]["roc_auc"] = None
    m["overall"]["roc_auc"] = None
    del m["per_category"]
    # no OOF rows: only metrics-driven plots
    doc = without_roles(render_report(m, oof.iloc[:0], "null auc"))
    assert doc.count("<svg") == 1  # the fold chart, with a missing AUC
    ja_row = re.search(r"<tr><th>ja</th>(.*?)</tr>", doc).group(1)
    assert "<td>–</td>" in ja_row
    assert "None" not in doc and "nan" not in doc
    assert "No per-category metrics" in doc


def test_minimal_metrics_and_empty_oof_still_render() -> None:
    doc = render_report({"task": "QC", "per_category": {}}, make_oof(n=0), "bare")
    assert doc.rstrip().endswith("</html>")
    assert doc.count("<svg") == 0
    assert "No per-category metrics" in doc
    assert "No per-language metrics" in doc and "No per-fold metrics" in doc


def test_category_table_keeps_largest_thirty() -> None:
    categories = {f"cat{i:02d}": {"n": i, "f1": 0.5} for i in range(40)}
    doc = without_roles(render_report({"task": "QC", "per_category": categories},
                                      make_oof(n=0), "many"))
    section = doc[doc.index('id="categories"') :]
    assert "<th>cat39</th>" in section and "<th>cat10</th>" in section
    assert "<th>cat09</th>" not in section
    assert section.index("<th>cat39</th>") < section.index("<th>cat10</th>")
    # the ten left out are counted: cat00 to cat09 hold 45 rows
    assert "30 largest of 40 categories; the other 10 (45 rows) are not listed." in section


def test_single_class_oof_skips_curves_without_failing(metrics: dict) -> None:
    frame = make_oof(n=50, seed=2).assign(label=1)
    doc = render_report({"per_fold": metrics["per_fold"]}, frame, "one class")
    assert doc.count("<svg") == 1  # the fold chart comes from metrics.json, not from the OOF
    assert doc.count("Needs out-of-fold rows with both labels") == 4


def test_f1_by_threshold_matches_sklearn(oof: pd.DataFrame) -> None:
    y, p = oof["label"].to_numpy(), oof["probability"].to_numpy()
    grid = np.array([0.0, 0.2, THRESHOLD, 0.7, 1.0])
    expected = [f1_score(y, (p >= t).astype(int), zero_division=0) for t in grid]
    np.testing.assert_allclose(f1_by_threshold(p, y, grid), expected)
    assert f1_by_threshold(p, y, np.array([0.0]))[0] == pytest.approx(
        group_metrics(oof)["baseline_all_positive_f1"]
    )


def test_write_report_puts_report_html_in_the_run(tmp_path) -> None:
    metrics = {"task": "QI", "run_name": "r<1>"}
    path = write_report(tmp_path, metrics, make_oof(n=0))
    assert path == tmp_path / "report.html"
    text = path.read_text(encoding="utf-8")
    assert "<title>shoprel QI cross-validation — r&lt;1&gt;</title>" in text


def test_write_run_report_reads_a_finished_run(tmp_path) -> None:
    frame = make_oof(n=0)
    (tmp_path / "run.json").write_text(json.dumps({"task": "QC", "threshold": 0.5}))
    (tmp_path / "metrics.json").write_text(json.dumps({"task": "QC", "run_name": "demo"}))
    frame.to_parquet(tmp_path / "oof.parquet", index=False)
    path = write_run_report(tmp_path)
    assert path == tmp_path / "report.html" and "demo" in path.read_text(encoding="utf-8")
    other = write_run_report(tmp_path, tmp_path.parent / f"{tmp_path.name}-out" / "r.html")
    assert other.is_file()


def test_write_run_report_overwrites_no_file_it_did_not_write(tmp_path) -> None:
    """It took any out_file: a run's metrics.json or a user's file was replaced by HTML,
    where `shoprel report --out` and the API's write_report refused them."""
    from shoprel.errors import OutputError, OutputExistsError

    run = tmp_path / "run"
    run.mkdir()
    frame = make_oof(n=0)
    (run / "run.json").write_text(json.dumps({"task": "QC", "threshold": 0.5}))
    metrics = json.dumps({"task": "QC", "run_name": "demo"})
    (run / "metrics.json").write_text(metrics)
    frame.to_parquet(run / "oof.parquet", index=False)
    notes = tmp_path / "notes.html"
    notes.write_text("mine")
    data = tmp_path / "train_QC.txt"
    with pytest.raises(OutputError, match="lies inside the run folder"):
        write_run_report(run, run / "metrics.json")
    with pytest.raises(OutputExistsError):
        write_run_report(run, notes)
    with pytest.raises(OutputError, match="give a name ending in .html"):
        write_run_report(run, data)
    with pytest.raises(OutputError) as info:  # with --overwrite, a page of the user's own
        write_run_report(run, notes, overwrite=True)
    assert str(info.value) == (
        f"{notes}: exists and is not an HTML page shoprel wrote (it carries no shoprel "
        "generator tag); --overwrite replaces only report's own output: choose another name "
        "or move the file away first")
    assert (run / "metrics.json").read_text() == metrics and notes.read_text() == "mine"
    assert not data.exists() and not (run / "report.html").exists()
    page = write_run_report(run, tmp_path / "r.html")
    assert '<meta name="generator" content="shoprel ' in page.read_text(encoding="utf-8")
    page.write_text(page.read_text(encoding="utf-8").replace("demo", "older"), encoding="utf-8")
    assert "demo" in write_run_report(run, page, overwrite=True).read_text(encoding="utf-8")
    assert write_run_report(run, run / "report.html") == run / "report.html"  # its own


def test_a_file_made_at_out_while_the_report_renders_is_kept(tmp_path, monkeypatch) -> None:
    """--out was checked before the page rendered (tens of seconds on a busy machine), then
    replaced whatever had appeared there meanwhile, --overwrite or not. The run's own
    report.html is still replaced."""
    from shoprel.errors import OutputError, OutputExistsError
    from shoprel.evaluate.report import document, page

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"task": "QC", "threshold": 0.5}))
    (run / "metrics.json").write_text(json.dumps({"task": "QC", "run_name": "demo"}))
    make_oof(n=0).to_parquet(run / "oof.parquet", index=False)
    out = tmp_path / "r.html"

    made = ["mine"]

    def made_meanwhile(*args, **kwargs):
        out.write_text(made[0], encoding="utf-8")
        return "<p>the page</p>"

    monkeypatch.setattr(document, "render_report", made_meanwhile)
    with pytest.raises(OutputExistsError, match="created by another process"):
        write_run_report(run, out)
    assert out.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "run"]
    out.unlink()  # with --overwrite, a page of the user's made meanwhile is kept too
    with pytest.raises(OutputError, match="r.html: exists and is not an HTML page shoprel"):
        write_run_report(run, out, overwrite=True)
    assert out.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "run"]
    out.unlink()  # and one shoprel wrote meanwhile is replaced
    made[0] = page.document("an older report", "<p>old</p>")
    assert write_run_report(run, out, overwrite=True).read_text(encoding="utf-8") == (
        "<p>the page</p>")
    (run / "report.html").write_text("old")
    for given in (None, run / "report.html"):
        assert write_run_report(run, given).read_text(encoding="utf-8") == "<p>the page</p>"


def test_a_run_that_cannot_be_written_in_is_said_in_one_line(tmp_path, monkeypatch) -> None:
    """A run on a read-only disk (`shoprel report RUN`, writing RUN/report.html): one
    OutputError naming the folder, where the temporary file's OSError was a traceback."""
    import os

    from shoprel.errors import OutputError

    frame = make_oof(n=0)
    (tmp_path / "run.json").write_text(json.dumps({"task": "QC", "threshold": 0.5}))
    (tmp_path / "metrics.json").write_text(json.dumps({"task": "QC", "run_name": "demo"}))
    frame.to_parquet(tmp_path / "oof.parquet", index=False)
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path
                        and access(path, mode))
    with pytest.raises(OutputError, match=f"cannot write in {tmp_path} .permission denied"):
        write_run_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_write_run_report_rejects_an_unfinished_run(tmp_path) -> None:
    with pytest.raises(RunDirError):
        write_run_report(tmp_path)  # no run.json
    (tmp_path / "run.json").write_text(json.dumps({"task": "QC", "threshold": 0.5}))
    with pytest.raises(RunDirError, match="metrics.json"):
        write_run_report(tmp_path)


def test_given_and_detected_languages_are_shown_side_by_side(oof: pd.DataFrame) -> None:
    from shoprel.data.tasks import Task
    from shoprel.evaluate.run_metrics import run_metrics

    table = oof.copy()
    table["detected_language"] = table["language"]
    table.loc[table.index[:40], "detected_language"] = "es"  # 40 rows tagged otherwise
    metrics = run_metrics(table, THRESHOLD, Task.QC)
    agreement = metrics["language_agreement"]
    assert sum(row["n"] for row in agreement.values()) == len(table)
    moved = table.iloc[:40]["language"].value_counts()
    for lang, count in moved.items():
        assert agreement[lang]["detected_as"]["es"] == count
        n = int((table["language"] == lang).sum())
        assert agreement[lang]["agreement"] == pytest.approx((n - count) / n, abs=1e-4)
    assert metrics["per_detected_language"]["es"]["n"] == 40

    document = render_report(metrics, table, "run")
    section = document.split('id="detected-languages"')[1].split("</section>")[0]
    assert "Given vs detected language" in document and "detected language" in section
    assert all(f"<th>{lang}</th>" in section for lang in LANGUAGES)


def test_no_detected_language_section_without_detection(report: str) -> None:
    assert 'id="detected-languages"' not in report


def test_a_chart_of_equal_values_draws_no_axis_of_rounding_noise():
    """ΔF1 0 for every language (a model that calls all rows relevant) comes out of the folds
    as ±1e-17: the axis spans a readable width around 0 with no offset label."""
    from shoprel.evaluate.report.groups import dot_plot_svg

    tiny = {"mean": 1e-17, "low": -2e-17, "high": 3e-17, "k": 3}
    intervals = {"en": {"n": 100, "delta_f1": tiny}, "es": {"n": 80, "delta_f1": tiny}}
    svg_text = dot_plot_svg(intervals, [("delta_f1", "ΔF1", 0.0, [(0.0, "--", "zero")])],
                            "t", "title")
    # matplotlib's SVG draws text as glyph paths and writes each label in a comment (an
    # offset label reads "<!-- 1e−17 -->"); the paths' ids hold random hex such as "1e16917"
    labels = [text.strip() for text in re.findall(r"<!--(.*?)-->", svg_text)]
    assert not [label for label in labels if re.search(r"\de[−-]?\d", label)], labels
    assert "−0.05" in labels and "0.05" in labels  # the ends of a ±0.05 span


def chart_texts(svg_text: str) -> list[str]:
    """The words a chart shows (axis labels, ticks, legend entries), zero-width spaces gone."""
    import html

    return [html.unescape(t).replace("\u200b", "")
            for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg_text)]


def test_a_name_starting_with_an_underscore_keeps_its_legend_entry(oof: pd.DataFrame) -> None:
    """matplotlib leaves a label that starts with '_' out of its legend: `compare` drew the
    curves of a run named _base with no entry saying which they were, and the F1-against-
    threshold chart a language '_ja' with none."""
    from matplotlib import rc_context

    from shoprel.evaluate.report.curves import roc_svg, threshold_section
    from shoprel.evaluate.report.svg import PLOT_RC

    y, p = oof["label"].to_numpy(), oof["probability"].to_numpy()
    frame = oof.assign(language=oof["language"].replace({"ja": "_ja"}))
    with rc_context(PLOT_RC):  # text kept as text, as in the report
        curves = chart_texts(roc_svg([("_base", p, y, "#0072B2"), ("tuned", p, y, "#E69F00")],
                                     None, "roc"))
        languages = chart_texts(threshold_section(make_metrics(frame), frame))
    assert sum(t.startswith("_base (AUC") for t in curves) == 1
    assert sum(t.startswith("tuned (AUC") for t in curves) == 1
    assert "_ja" in languages and "en" in languages


def test_a_long_language_name_leaves_the_threshold_chart_its_width(oof: pd.DataFrame) -> None:
    """The F1-against-threshold legend wrote a language's name in full: a 300-character one
    made the chart 1,500 pt wide, shrunk to half its size on the page; it is cut as on the
    per-language chart (the tables keep the full name)."""
    from matplotlib import rc_context

    from shoprel.evaluate.report.curves import threshold_section
    from shoprel.evaluate.report.svg import PLOT_RC

    def chart(language: str) -> str:
        frame = oof.assign(language=oof["language"].replace({"ja": language}))
        with rc_context(PLOT_RC):
            return threshold_section(make_metrics(frame), frame)

    def width(section: str) -> float:
        return float(re.search(r'<svg[^>]*width="([\d.]+)pt"', section).group(1))

    long_name = "Portuguese (Brazil) " + "L" * 280
    cut = chart(long_name)
    assert width(cut) == pytest.approx(width(chart("ja")), abs=40)
    assert "Portuguese (Brazil) L…" in chart_texts(cut)
