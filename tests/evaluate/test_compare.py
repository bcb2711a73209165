"""shoprel compare: paired per-fold differences between runs on the same rows and folds."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score, roc_auc_score
from tests.evaluate.fake_runs import make_run, rows
from tests.evaluate.markup import without_roles
from tests.evaluate.report.test_groups import chart_texts

from shoprel.cli import main
from shoprel.errors import RunDirError
from shoprel.evaluate.compare import compare_runs, paired_comparison, summary_text
from shoprel.evaluate.report.compare_page import render_comparison, write_comparison

N = 600


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp")
    base = rows()
    return (make_run(root / "weak", base, 0.6, 1, "weak"),
            make_run(root / "strong", base, 1.6, 2, "strong", cv_seconds=46.0,
                     far_pairs={"n": 120, "called_relevant": 0.25,
                                "relevant_rows_called_relevant": 0.9,
                                "roc_auc_relevant_vs_far": 0.875}))


def test_paired_per_fold_differences(two_runs) -> None:
    c = compare_runs(list(two_runs))
    assert c.rows == N and c.folds == 5 and [s.name for s in c.runs] == ["weak", "strong"]
    pair = c.pairs[0]
    weak, strong = (pd.read_parquet(d / "oof.parquet") for d in two_runs)
    for row in pair["per_fold"]:
        mask = weak["fold"] == row["fold"]
        expected = (roc_auc_score(strong["label"][mask], strong["probability"][mask])
                    - roc_auc_score(weak["label"][mask], weak["probability"][mask]))
        assert row["delta_auc"] == pytest.approx(expected)
    assert pair["delta_auc"]["per_fold"] == pytest.approx([r["delta_auc"]
                                                          for r in pair["per_fold"]])
    assert pair["delta_auc"]["low"] > 0 and pair["auc_better_folds"] == 5
    assert set(pair["per_language"]) == {"en", "es"}  # "xx" has fewer than 30 rows
    assert c.runs[1].cost["cv_seconds"] == 46.0 and c.runs[1].cost["size_bytes"] > 0


def test_the_per_language_chart_lists_languages_as_the_run_report_does(tmp_path) -> None:
    """compare ordered languages by pandas' value_counts: ties in the file's order and the
    untagged rows first where they were the most; the run report lists them by_rows (most rows
    first, ties by code, untagged last)."""
    counts = {"unk": 300, "es": 200, "en": 200, "fr": 250, "tl": 5}  # es before en in the file
    base = rows(n=sum(counts.values())).assign(
        language=[lang for lang, n in counts.items() for _ in range(n)])
    a, b = make_run(tmp_path / "a", base, 0.6, 1, "a"), make_run(tmp_path / "b", base, 1.6, 2, "b")
    c = compare_runs([a, b])
    assert list(c.pairs[0]["per_language"]) == ["fr", "en", "es", "unk"]  # tl: under 30 rows
    chart = [t.split(" (n=")[0] for t in chart_texts(render_comparison(c)) if " (n=" in t]
    assert chart == ["fr", "en", "es", "unk"]  # top to bottom


def test_past_20_languages_the_comparison_chart_names_those_it_left_out(tmp_path) -> None:
    """The comparison chart took 20 of 22 languages and its caption said only 'Languages with
    at least 30 rows': it says which it left out and their rows."""
    counts = {f"l{i:02d}": 40 + (i < 20) * 10 for i in range(22)}  # l20, l21 the smallest
    base = rows(n=sum(counts.values())).assign(
        language=[lang for lang, n in counts.items() for _ in range(n)])
    a, b = make_run(tmp_path / "a", base, 0.6, 1, "a"), make_run(tmp_path / "b", base, 1.6, 2, "b")
    page = render_comparison(compare_runs([a, b]))
    caption = page.split('<section id="languages">', 1)[1].split("<figcaption>", 1)[1]
    assert "2 more languages of at least 30 rows (l20, l21: 80 rows) are not charted." in caption


def test_a_retrain_landing_after_the_scores_were_read_lends_compare_none_of_its_figures(
        tmp_path, monkeypatch) -> None:
    """compare read each run's metrics.json (its cut, its cost) after aligning the scores: a
    retrain landing meanwhile put the new run's figures beside the old run's scores."""
    from shoprel.evaluate import compare

    base = rows()
    a, b = make_run(tmp_path / "a", base, 0.6, 1, "a"), make_run(tmp_path / "b", base, 1.6, 2, "b")
    align_runs = compare.align_runs

    def retrained_meanwhile(run_dirs, **options):
        aligned = align_runs(run_dirs, **options)
        after = json.loads((b / "metrics.json").read_text())
        after["timing"]["cv_seconds"] = 999.0
        (b / "metrics.json").write_text(json.dumps(after))
        return aligned

    monkeypatch.setattr(compare, "align_runs", retrained_meanwhile)
    assert compare_runs([a, b]).runs[1].cost["cv_seconds"] == 10.0


def test_summary_text_names_the_paired_verdict(two_runs) -> None:
    text = summary_text(compare_runs(list(two_runs)))
    assert "strong − weak, mean over folds: ΔAUC +" in text
    assert "better; higher on 5/5 folds" in text
    # the table's figures are pooled; the pair line's differences are means over folds
    assert "600 rows, 5 folds, reference weak; run figures pooled over all out-of-fold" in text
    weak, strong = text.splitlines()[3:5]  # after the title, the header and its rule
    assert weak.split()[5] == "–" and strong.split()[5] == "0.250"  # far pairs called relevant


def test_page_is_self_contained_and_accessible(two_runs, tmp_path) -> None:
    path, c = write_comparison(list(two_runs), tmp_path / "compare.html")
    doc = without_roles(path.read_text(encoding="utf-8"))
    assert doc.startswith("<!DOCTYPE html>") and 'id="verdict"' in doc
    assert doc.index('id="verdict"') < doc.index('id="folds"') < doc.index('id="curves"')
    assert doc.count("<svg") == doc.count('role="img"') == 3  # ROC, PR, languages
    assert len(re.findall(r"<svg\b[^>]*>\s*<title id=", doc)) == 3
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", doc)
    assert str(tmp_path) not in doc  # folder names only, never absolute paths
    fold0 = c.pairs[0]["per_fold"][0]
    assert f"{fold0['delta_auc']:+.4f}" in doc
    verdict = doc[doc.index('id="verdict"'):doc.index('id="folds"')]
    mean = c.pairs[0]["delta_auc"]["mean"]
    assert f"</strong>, mean over folds: ΔAUC <span class=\"gain\">{mean:+.4f} (95%" in verdict
    curves = doc[doc.index('id="curves"'):doc.index('id="languages"')]
    assert "the AUC in the legend pooled over all of them" in curves
    assert "the AP in the legend pooled over all rows" in curves
    far = doc[doc.index('id="far-pairs"'):doc.index('id="cost"')]
    assert "<th>weak</th><td>–</td>" in far  # a run without the check, and why
    assert ("No check recorded for weak (dashes): an ensemble has no fold models of its own to "
            "score far pairs with, and a run trained without the check gains it with "
            "<code>shoprel far-pairs RUN</code>.") in far
    assert "<th>strong</th><td>120</td><td>25.0%</td><td>90.0%</td><td>0.875</td>" in far


def test_runs_on_different_rows_are_refused_naming_both(two_runs, tmp_path) -> None:
    other = make_run(tmp_path / "other", rows(n=N - 10), 1.0, 3, "other")
    with pytest.raises(RunDirError, match="different rows") as info:
        compare_runs([two_runs[0], other])
    assert str(two_runs[0]) in str(info.value) and str(other) in str(info.value)
    with pytest.raises(RunDirError, match="at least two"):
        compare_runs([two_runs[0]])


def test_cli_prints_summary_and_writes_page(two_runs, tmp_path) -> None:
    out = tmp_path / "c.html"
    result = CliRunner().invoke(main, ["compare", *map(str, two_runs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "strong − weak" in result.output and out.is_file()
    bad = CliRunner().invoke(main, ["compare", str(two_runs[0]), str(tmp_path / "nope"),
                                    "--out", str(tmp_path / "x.html")])
    assert bad.exit_code == 2 and "error:" in bad.output and not (tmp_path / "x.html").exists()


def test_render_comparison_of_three_runs(two_runs, tmp_path) -> None:
    third = make_run(tmp_path / "third", rows(), 1.0, 5, "third")
    doc = render_comparison(compare_runs([*two_runs, third]))
    assert "strong against weak" in doc and "third against weak" in doc


def test_page_inside_a_run_being_read_is_refused(two_runs) -> None:
    from shoprel.errors import ShoprelError

    with pytest.raises(ShoprelError, match="inside the run folder"):
        write_comparison(list(two_runs), two_runs[0] / "compare.html")
    assert not (two_runs[0] / "compare.html").exists()


def test_a_copied_run_is_told_apart_by_its_folder(two_runs, tmp_path) -> None:
    """A copy keeps run.json's name: the comparison names each side by its folder too."""
    import shutil

    copy = tmp_path / "renamed_copy"
    shutil.copytree(two_runs[0], copy)
    comparison = compare_runs([two_runs[0], copy])
    first, second = (side.name for side in comparison.runs)
    assert first != second and second.endswith("(renamed_copy)")
    assert comparison.pairs[0]["b"] == second


def test_every_recorded_stage_time_is_shown_as_trains_summary_line_gives_it(tmp_path) -> None:
    """compare showed the CV's and the final fit's seconds only: a run's learning curve
    (timing.curve_seconds), stage 0 and carried student were minutes left unsaid."""
    base = rows()
    weak = make_run(tmp_path / "weak", base, 0.6, 1, "weak")
    strong = make_run(tmp_path / "strong", base, 1.6, 2, "strong", cv_seconds=46.0)
    metrics = json.loads((strong / "metrics.json").read_text())
    metrics["timing"].update({"final_fit_seconds": 12.04, "curve_seconds": 33.5})
    metrics.update({"stage0": {"seconds": 7.26}, "student": {"family": "fast", "seconds": 61.0}})
    (strong / "metrics.json").write_text(json.dumps(metrics))
    c = compare_runs([weak, strong])
    assert c.runs[1].cost["stage_seconds"] == {"stage 0": 7.26, "learning curve": 33.5,
                                               "final fit": 12.04, "student": 61.0}
    lines = summary_text(c).splitlines()
    assert "time weak: cv 10.0s (final fit 1.0s)" in lines
    assert ("time strong: cv 46.0s (stage 0 7.3s, learning curve 33.5s, final fit 12.0s, "
            "student 61.0s)") in lines
    doc = without_roles(render_comparison(c))
    cost = doc[doc.index('id="cost"'):]
    assert ("<th>CV seconds</th><th>stage 0 seconds</th><th>learning curve seconds</th>"
            "<th>final fit seconds</th><th>student seconds</th><th>CV rows/s</th>") in cost
    assert "<td>10.0</td><td>–</td><td>–</td><td>1.0</td><td>–</td>" in cost
    assert "<td>46.0</td><td>7.3</td><td>33.5</td><td>12.0</td><td>61.0</td>" in cost


def test_a_hand_edited_time_that_is_no_number_is_left_out_not_a_traceback(tmp_path) -> None:
    """`shoprel compare` formatted timing.cv_seconds with :.1f: text there (a hand-edited
    metrics.json) was a ValueError traceback; a number written as text is read as one."""
    base = rows()
    weak = make_run(tmp_path / "weak", base, 0.6, 1, "weak")
    strong = make_run(tmp_path / "strong", base, 1.6, 2, "strong")
    for run, cv in ((weak, "n/a"), (strong, "46")):
        metrics = json.loads((run / "metrics.json").read_text())
        metrics["timing"].update({"cv_seconds": cv, "final_fit_seconds": "12"})
        (run / "metrics.json").write_text(json.dumps(metrics))
    c = compare_runs([weak, strong])
    assert [side.cost["cv_seconds"] for side in c.runs] == [None, 46.0]
    lines = summary_text(c).splitlines()
    assert "time weak: cv – (final fit 12.0s)" in lines
    assert "time strong: cv 46.0s (final fit 12.0s)" in lines
    render_comparison(c)


def test_a_stage_no_run_recorded_gets_no_column(two_runs) -> None:
    cost = without_roles(render_comparison(compare_runs(list(two_runs))))
    cost = cost[cost.index('id="cost"'):]
    assert "<th>CV seconds</th><th>final fit seconds</th><th>CV rows/s</th>" in cost
    assert "learning curve" not in cost and "student seconds" not in cost


def test_the_page_shows_each_runs_own_figures_as_the_terminal_does(two_runs) -> None:
    """The page gave only differences (and AUC/AP in chart legends): no run's F1 or share
    called relevant, which the terminal summary prints."""
    c = compare_runs(list(two_runs))
    doc = without_roles(render_comparison(c))
    assert doc.index('id="verdict"') < doc.index('id="runs"') < doc.index('id="folds"')
    runs = doc[doc.index('id="runs"'):doc.index('id="folds"')]
    text = summary_text(c)
    for side in c.runs:
        o = side.overall
        delta = o["f1"] - o["baseline_all_positive_f1"]
        assert (f"<tr><th>{side.name}</th><td>{o['roc_auc']:.3f}</td><td>{o['f1']:.3f}</td>"
                f"<td>{o['baseline_all_positive_f1']:.3f}</td><td>{delta:+.3f}</td>"
                f"<td>{100 * o['predicted_positive_rate']:.1f}%</td></tr>") in runs
        assert f"{o['f1']:.4f}" in text and f"{o['predicted_positive_rate']:.3f}" in text


def test_the_cost_tables_words_are_left_aligned_like_text(two_runs) -> None:
    """Folder names and the threshold method were right-aligned as if they were numbers."""
    doc = without_roles(render_comparison(compare_runs(list(two_runs))))
    cost = doc[doc.index('id="cost"'):]
    assert '<th class="word">folder</th>' in cost and '<th class="word">threshold method' in cost
    for side in compare_runs(list(two_runs)).runs:
        assert f'<td class="word">{side.folder}</td>' in cost
        assert f'<td class="word">{side.threshold_method}</td>' in cost
    assert re.search(r"th\.word, td\.word \{ text-align: left; \}", doc)


def test_the_pr_chart_keeps_its_legend_above_the_plot(two_runs) -> None:
    from tests.evaluate.report.test_chart_legends import legend_below_top

    assert legend_below_top(render_comparison(compare_runs(list(two_runs))), "pr") == []


def test_a_page_made_at_out_while_the_runs_are_compared_is_kept(tmp_path, two_runs,
                                                                 monkeypatch):
    """The output was checked before the runs were read and the page rendered, then replaced
    whatever had appeared there meanwhile, --overwrite or not."""
    from shoprel.errors import OutputError, OutputExistsError
    from shoprel.evaluate.report import compare_page, page

    out = tmp_path / "compare.html"
    made = ["mine"]

    def made_meanwhile(comparison):
        out.write_text(made[0], encoding="utf-8")
        return render_comparison(comparison)

    monkeypatch.setattr(compare_page, "render_comparison", made_meanwhile)
    with pytest.raises(OutputExistsError, match="created by another process"):
        write_comparison(list(two_runs), out)
    assert out.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compare.html"]
    out.unlink()  # with overwrite, a page of the user's made meanwhile is kept too
    with pytest.raises(OutputError, match="compare.html: exists and is not an HTML page"):
        write_comparison(list(two_runs), out, overwrite=True)
    assert out.read_text(encoding="utf-8") == "mine"
    out.unlink()  # and a page shoprel wrote meanwhile is replaced
    made[0] = page.document("an older comparison", "<p>old</p>")
    assert "strong" in write_comparison(list(two_runs), out, overwrite=True)[0].read_text(
        encoding="utf-8")


def test_overwrite_replaces_only_a_page_shoprel_wrote(tmp_path, two_runs) -> None:
    """`compare A B --out notes.html --overwrite` replaced any .html file: now only a page
    shoprel wrote (its generator tag; older pages by their footer) is replaced, anything else
    refused in one line before the runs are read, left as it was."""
    notes = tmp_path / "notes.html"
    notes.write_text("<html><body>my notes</body></html>\n", encoding="utf-8")
    before = notes.read_bytes()
    args = ["compare", *map(str, two_runs), "--overwrite", "--out"]
    refused = CliRunner().invoke(main, [*args, str(notes)])
    assert (refused.exit_code, refused.output) == (2, (
        f"error: {notes}: exists and is not an HTML page shoprel wrote (it carries no shoprel "
        "generator tag); --overwrite replaces only compare's own output: choose another name "
        "or move the file away first\n"))
    assert notes.read_bytes() == before
    out = tmp_path / "compare.html"
    assert CliRunner().invoke(main, [*args, str(out)]).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<meta name="generator" content="shoprel ') == 1
    older = page.replace('<meta name="generator"', '<meta name="old"')  # before the tag
    out.write_text(older, encoding="utf-8")
    assert CliRunner().invoke(main, [*args, str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == page


def test_a_fold_with_no_positive_row_has_no_f1_difference() -> None:
    """Both runs score F1 0 on a fold of negatives alone: its difference of 0 entered the ΔF1
    interval as a measured tie, where the same fold's ΔAUC (undefined) was already left out."""
    base = pd.DataFrame({"fold": [0] * 4 + [1] * 4 + [2] * 4,
                         "label": [0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1]})
    p_a = pd.Series([0.2, 0.6, 0.3, 0.7, 0.9, 0.2, 0.4, 0.8, 0.7, 0.6, 0.5, 0.3])
    p_b = p_a.iloc[::-1].reset_index(drop=True)
    out = paired_comparison(base, p_a, p_b, (p_a >= 0.5).astype(int), (p_b >= 0.5).astype(int))
    first = out["per_fold"][0]
    assert first["f1_a"] == first["f1_b"] == 0 and first["delta_f1"] is None
    assert out["delta_f1"]["k"] == out["delta_auc"]["k"] == 2


def test_the_cost_table_keeps_short_heads_and_separates_thousands(tmp_path) -> None:
    """Its size head, "size on disk (MB; an ensemble's with its members')", pushed the last
    column out of the box in a 1,280 px window; CV rows/s printed 1234 where every other
    count of the page prints 1,234."""
    base = rows()
    weak = make_run(tmp_path / "weak", base, 0.6, 1, "weak")
    strong = make_run(tmp_path / "strong", base, 1.6, 2, "strong")
    metrics = json.loads((strong / "metrics.json").read_text())
    metrics["timing"]["rows_per_second_cv"] = 1234.4
    (strong / "metrics.json").write_text(json.dumps(metrics))
    doc = without_roles(render_comparison(compare_runs([weak, strong])))
    cost = doc[doc.index('id="cost"'):]
    assert "<td>1,234</td>" in cost
    assert "<th>size on disk (MB)</th>" in cost and "An ensemble's size on disk counts" in cost


def test_a_per_fold_row_prints_its_figures_to_the_decimals_of_its_differences(two_runs):
    """AUC 0.688 and 0.584 beside ΔAUC -0.1038: the row's subtraction did not read."""
    c = compare_runs(list(two_runs))
    doc = without_roles(render_comparison(c))
    folds = doc[doc.index('id="folds"'):doc.index('id="curves"')]
    r = c.pairs[0]["per_fold"][0]
    assert (f"<td>{r['auc_a']:.4f}</td><td>{r['auc_b']:.4f}</td><td>{r['delta_auc']:+.4f}</td>"
            f"<td>{r['f1_a']:.4f}</td><td>{r['f1_b']:.4f}</td>") in folds


def test_each_fold_row_shows_the_all_positive_f1_beside_the_runs_f1(two_runs):
    """The per-fold tables gave each run's F1 with nothing to read it against: 0.8298 and
    0.8314 on a fold whose all-positive F1 was 0.824 looked like two good models."""
    c = compare_runs(list(two_runs))
    base = pd.read_parquet(two_runs[0] / "oof.parquet")
    doc = without_roles(render_comparison(c))
    folds = doc[doc.index('id="folds"'):doc.index('id="curves"')]
    assert "<th>ΔF1</th><th>all-positive F1</th>" in folds
    for r in c.pairs[0]["per_fold"]:
        labels = base.loc[base["fold"] == r["fold"], "label"]
        rate = labels.mean()
        assert r["baseline_f1"] == pytest.approx(2 * rate / (1 + rate))
        assert (f"<td>{r['f1_b']:.4f}</td><td>{r['delta_f1']:+.4f}</td>"
                f"<td>{r['baseline_f1']:.4f}</td></tr>").replace("-", "\u2212") in folds


def test_the_per_language_section_gives_each_runs_figures_beside_all_positive(two_runs):
    """The section charted only differences: how good either run was in a language (its F1
    against the language's all-positive F1, its ROC-AUC) was nowhere on the page."""
    c = compare_runs(list(two_runs))
    weak, strong = (pd.read_parquet(d / "oof.parquet") for d in two_runs)
    doc = without_roles(render_comparison(c))
    section = doc[doc.index('id="languages"'):]
    section = section[:section.index("<figure")]
    assert ('<th>language</th><th>n</th><th>all-positive F1</th><th class="name">F1 weak</th>'
            '<th class="name">F1 strong</th><th class="name">ROC-AUC weak</th>'
            '<th class="name">ROC-AUC strong</th>') in section
    languages = list(c.pairs[0]["per_language"])
    assert len(languages) >= 2
    for name in languages:
        rows = (c.base["language"].astype(str) == name).to_numpy()
        y = c.base["label"].to_numpy()[rows]
        rate = y.mean()
        f1s = [f1_score(y, c.predictions[rows, i]) for i in (0, 1)]
        aucs = [roc_auc_score(y, oof.set_index("id").loc[c.base["id"][rows], "probability"])
                for oof in (weak, strong)]
        figures = [2 * rate / (1 + rate), *f1s, *aucs]
        assert (f"<tr><th>{name}</th><td>{rows.sum():,}</td>"
                + "".join(f"<td>{x:.3f}</td>" for x in figures) + "</tr>") in section


def test_the_per_language_caption_says_which_way_a_difference_points(two_runs) -> None:
    """The axes read "ΔROC-AUC" and "ΔF1", the caption "mean paired per-fold difference":
    nothing said which run was subtracted from which."""
    doc = render_comparison(compare_runs(list(two_runs)))
    section = doc[doc.index('id="languages"'):]
    assert ("Dot: mean paired per-fold difference, strong minus weak (right of 0: strong "
            "scores higher)") in section


def panel_labels(chart_html: str) -> list[str]:
    """A per-language chart's panel (x-axis) labels, left to right."""
    # placed by x="…" or by transform="translate(… …)", as matplotlib writes the text
    found = re.findall(r'<text[^>]*(?:\bx="|translate\()([\d.]+)[^>]*>((?:Δ?F1|Δ?ROC-AUC)[^<]*)'
                       r"</text>", chart_html)
    return [label for _, label in sorted(found, key=lambda x: float(x[0]))]


def test_the_per_language_charts_of_compare_and_of_a_run_put_f1_left(two_runs) -> None:
    """compare's per-language chart drew ΔROC-AUC left and ΔF1 right, the run report's ΔF1
    left and ROC-AUC right: a reader going from one to the other read the wrong panel."""
    from matplotlib import rc_context
    from tests.evaluate.test_report_trust import metrics_for, scored_oof

    from shoprel.evaluate.report.groups import language_section
    from shoprel.evaluate.report.svg import PLOT_RC
    from shoprel.evaluate.run_metrics import prediction_table

    compared = render_comparison(compare_runs(list(two_runs))).split('id="languages"')[1]
    assert panel_labels(compared) == ["ΔF1", "ΔROC-AUC"]
    oof = scored_oof()
    metrics = metrics_for(oof)
    with rc_context(PLOT_RC):
        run = language_section(metrics, prediction_table(oof, metrics))
    assert panel_labels(run) == ["ΔF1 over all-positive", "ROC-AUC"]


def shown_text(page: str) -> str:
    """What a page's reader sees, its charts, styles and tags left out."""
    import html

    for tag in ("svg", "style", "script"):
        page = re.sub(rf"<{tag}\b.*?</{tag}>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_a_negative_figure_is_written_with_the_charts_minus(two_runs) -> None:
    """The pages wrote '-0.021' in their text and tables where their charts' ticks read
    '−0.02': every figure shown is written with the true minus (U+2212)."""
    from tests.evaluate.test_report_trust import metrics_for, scored_oof

    from shoprel.evaluate.report import render_report

    weak, strong = two_runs
    compared = shown_text(render_comparison(compare_runs([strong, weak])))  # weak − strong
    oof = scored_oof(n=900, signal=0.0)
    run = shown_text(render_report(metrics_for(oof), oof, "run"))
    for text in (compared, run):
        assert re.search(r"−0\.\d{3}", text)  # negatives there are
        assert not re.search(r"(?<![\w.-])-\.?\d", text), re.findall(r".{30}-\d.{10}", text)


def test_the_advice_beside_an_unlabeled_students_caveat_does_not_contradict_it() -> None:
    """compare said '... (neither nested nor hard_weight 1.0 changes that): ... (distill
    --nested, or --hard-weight 1.0, gives honest ones)' of an --unlabeled student."""
    from types import SimpleNamespace

    from shoprel.evaluate.compare import caveat_lines
    from shoprel.evaluate.optimistic import optimistic_student
    from shoprel.training.distill import oof_caveat

    block = {"teacher": {"name": "t"}, "oof_optimistic": True,
             "caveat": oof_caveat(1.0, nested=False, unlabeled=True)}
    side = SimpleNamespace(name="s", optimistic=optimistic_student({"distillation": block}))
    (line,) = caveat_lines(SimpleNamespace(runs=[side]))
    assert "neither nested nor hard_weight 1.0 changes that" in line
    assert line.endswith("(a student distilled with --nested or --hard-weight 1.0, and "
                         "without --unlabeled, gives honest ones)")


def test_the_summary_table_tells_apart_runs_whose_names_share_a_long_start(tmp_path) -> None:
    """Cut at 19 characters, experiment_2026_12_05_fast_a and ..._fast_b both read
    'experiment_2026_12_' in the terminal's table, the one place their figures stand side by
    side; a name past 40 characters is cut in its middle, keeping its end."""
    from shoprel.evaluate.compare import table_name

    base = rows()
    names = ("experiment_2026_12_05_fast_a", "experiment_2026_12_05_fast_b",
             "ensemble_of_the_two_long_named_fast_runs_with_stacking_2026_12_05")
    folders = [make_run(tmp_path / name, base, 0.6 + i / 2, i, name)
               for i, name in enumerate(names)]
    table = summary_text(compare_runs(folders)).splitlines()[3:6]
    assert [line.split()[0] for line in table] == [
        "experiment_2026_12_05_fast_a", "experiment_2026_12_05_fast_b",
        "ensemble_of_the_two_…stacking_2026_12_05"]
    assert len({line.index("0.") for line in table}) == 1  # the figures' columns line up
    assert table_name("a" * 40) == "a" * 40 and len(table_name("a" * 41)) == 40


def test_a_comparison_returned_to_python_reads_in_one_voice(tmp_path) -> None:
    """shoprel.compare_runs rewords the runs' `optimistic` (a student's caveat), but
    summary_text(c) joined it with the advice in the command's words: "...
    (distill_student(..., nested=True) makes them honest): ... (a student distilled with
    --nested or --hard-weight 1.0, and without --unlabeled, gives honest ones)". The caveats
    are the comparison's own (c.caveats), reworded with the rest; the command and the page
    keep the command's words."""
    import shoprel
    from shoprel.training.distill import LEAK_CAVEAT

    base = rows()
    teacher = make_run(tmp_path / "teacher", base, 0.6, 1, "teacher")
    student = make_run(tmp_path / "student", base, 1.6, 2, "student")
    metrics = json.loads((student / "metrics.json").read_text())
    metrics["distillation"] = {"teacher": {"name": "teacher"}, "caveat": LEAK_CAVEAT,
                               "oof_optimistic": True}
    (student / "metrics.json").write_text(json.dumps(metrics))
    said = ("student is a student distilled from teacher; student OOF is optimistic: the "
            "teacher OOF probability of a training row came from a teacher model that saw the "
            "student's validation rows ({}): its figures here are optimistic, so a gain over "
            "the other runs can be leak ({}, gives honest ones)")
    c = shoprel.compare_runs([teacher, student], tmp_path / "c.html")
    python = said.format(
        "distill_student(..., nested=True) makes them honest",
        "a student distilled with nested=True or hard_weight=1.0, and without unlabeled")
    assert summary_text(c).splitlines()[-1] == f"note: {python}"
    assert c.caveats == [python]
    assert not re.search(r"--\w", summary_text(c))  # no option named (the rule is dashes)
    cli = said.format("distill --nested makes them honest", "a student distilled with "
                      "--nested or --hard-weight 1.0, and without --unlabeled")
    assert summary_text(compare_runs([teacher, student])).splitlines()[-1] == f"note: {cli}"
    assert cli in (tmp_path / "c.html").read_text(encoding="utf-8").replace("&#x27;", "'")
