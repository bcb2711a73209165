"""The far-pairs check: each fold's model scores plainly irrelevant pairs built from its own
validation rows; the run records how many it calls relevant, and nothing else changes."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from tests.conftest import without_bars

from shoprel.augment.languages import by_rows
from shoprel.cli import main
from shoprel.data.category import top_level
from shoprel.data.readers import read_pairs
from shoprel.folds.grouped import assign_folds
from shoprel.training import runner
from shoprel.training.config_reading import load_config
from shoprel.training.far_pairs import MIN_LANGUAGE_PAIRS, FarPairCheck, far_pairs_summary

# the tests marked reads_report read a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

FAST = {"model.family": "fast", "model.params.n_features": 2**16,
        "model.params.n_estimators": 30, "folds.k": 3}


class ByLength:
    """A stand-in model whose score is known: the target's length, scaled into 0..1."""

    def predict_proba(self, frame):
        p = frame.df["target"].str.len().to_numpy() / 200.0
        return np.c_[1 - p, p]


def test_far_pairs_come_from_each_folds_validation_rows(qc_demo):
    frame = read_pairs(qc_demo)
    folds = assign_folds(frame, 3, 42, 3)
    check = FarPairCheck(frame, folds, 90, seed=5)
    assert 80 <= check.size <= 90
    df = frame.df
    for fold, pairs in enumerate(check.pairs):
        valid = df[folds == fold]
        assert set(pairs.df["query"]) <= set(valid.loc[valid["label"] == 1, "query"])
        assert set(pairs.df["id"]) <= set(valid["id"])  # each keeps its source row's columns
        assert (pairs.df["label"] == 0).all()
        for query, target in zip(pairs.df["query"], pairs.df["target"], strict=True):
            mine = df[df["query"] == query]  # every fold's rows, not the validation fold's
            assert target not in set(mine["target"])
            assert top_level(target) not in set(mine.loc[mine["label"] == 1, "target"]
                                                 .map(top_level))
    again = FarPairCheck(frame, folds, 90, seed=5)
    assert all(a.df.equals(b.df) for a, b in zip(check.pairs, again.pairs, strict=True))


def test_summary_counts_what_the_fold_models_said(qc_demo):
    frame = read_pairs(qc_demo)
    folds = assign_folds(frame, 3, 42, 3)
    check = FarPairCheck(frame, folds, 150, seed=0)
    for fold in range(3):
        check.score(fold, ByLength())
    table = check.table()
    expected = table["target"].str.len().to_numpy() / 200.0
    np.testing.assert_allclose(table["probability"], expected)
    oof = pd.DataFrame({"label": frame.labels, "language": frame.df["language"],
                        "probability": frame.df["target"].str.len() / 200.0})
    block = check.summary(0.3, oof)
    assert block["n"] == len(table) and block["threshold"] == 0.3
    assert block["called_relevant"] == pytest.approx(np.mean(expected >= 0.3))
    relevant = oof.loc[oof["label"] == 1, "probability"].to_numpy()
    assert block["relevant_rows_called_relevant"] == pytest.approx(np.mean(relevant >= 0.3))
    wins = (relevant[:, None] > expected[None, :]).mean() + \
        0.5 * (relevant[:, None] == expected[None, :]).mean()
    assert block["roc_auc_relevant_vs_far"] == pytest.approx(wins)
    assert sum(block["histogram"]["counts"]) == len(table)
    counted = table["language"].value_counts()
    # listed as every language listing (most pairs first, ties by code), not alphabetically
    assert list(block["per_language"]) == by_rows(
        {k: int(n) for k, n in counted.items() if n >= MIN_LANGUAGE_PAIRS})
    for language, figures in block["per_language"].items():
        mine = expected[table["language"].to_numpy() == language]
        assert figures["n"] == len(mine)
        assert figures["called_relevant"] == pytest.approx(np.mean(mine >= 0.3))
    assert far_pairs_summary(table.iloc[:0], 0.3, oof) is None


@pytest.mark.reads_report
def test_train_records_far_pairs_and_leaves_everything_else_alone(tmp_path, qc_demo):
    out, config = tmp_path / "on", tmp_path / "fast.yaml"
    config.write_text("model: {family: fast, params: {n_features: 65536, n_estimators: 30}}\n"
                      "folds: {k: 3}\n")
    result = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(out), "--quiet",
                                      "--config", str(config)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("far pairs:"))
    metrics = json.loads((out / "metrics.json").read_text())
    far = metrics["far_pairs"]  # the default 1,000 is more than the demo's 360 rows: one a row
    assert 0.9 * len(read_pairs(qc_demo)) <= far["n"] <= len(read_pairs(qc_demo))
    assert f"{far['called_relevant']:.1%} of {far['n']} called relevant" in line
    assert 0.5 < far["roc_auc_relevant_vs_far"] <= 1.0
    report = (out / "report.html").read_text()
    assert 'id="far-pairs"' in report and 'href="#far-pairs"' in report

    off = runner.train(qc_demo, tmp_path / "off",
                       load_config(None, {**FAST, "check.far_pairs": 0}), progress=False)
    assert "far_pairs" not in off.metrics
    assert 'id="far-pairs"' not in (off.run_dir / "report.html").read_text()
    oof_on = pd.read_parquet(out / "oof.parquet")
    oof_off = pd.read_parquet(off.run_dir / "oof.parquet")
    assert oof_on.equals(oof_off)  # the check scores pairs; it changes no model
    assert metrics["threshold"] == off.metrics["threshold"]


def test_more_far_pairs_than_relevant_rows_still_have_distinct_labels(qc_demo):
    """A relevant row drawn twice gives two pairs with two index labels: the embedding model
    aligns on them (a repeated label failed its scoring)."""
    frame = read_pairs(qc_demo)
    folds = assign_folds(frame, 3, 42, 3)
    check = FarPairCheck(frame, folds, 10_000, seed=1)
    for fold, pairs in enumerate(check.pairs):
        relevant = int(((folds == fold) & (frame.labels == 1)).sum())
        assert len(pairs) > relevant  # drawn with replacement
        assert pairs.df.index.equals(pd.RangeIndex(len(pairs)))


@pytest.mark.reads_report
def test_a_run_trained_without_the_check_gets_the_same_figures_afterwards(tmp_path, qc_demo):
    """`shoprel far-pairs RUN`: the saved fold models, the same rows, folds, seed and count,
    so the block equals the one training writes; metrics.json and the report gain it."""
    from shoprel.training.far_pairs_existing import add_far_pairs

    on = runner.train(qc_demo, tmp_path / "on", load_config(None, FAST), progress=False)
    off = runner.train(qc_demo, tmp_path / "off",
                       load_config(None, {**FAST, "check.far_pairs": 0}), progress=False)
    assert "far_pairs" not in off.metrics
    done = CliRunner().invoke(main, ["far-pairs", str(off.run_dir), "--quiet"])
    assert done.exit_code == 0, done.output
    assert "pairs, not" not in done.output  # --quiet: no notes
    written = json.loads((off.run_dir / "metrics.json").read_text())["far_pairs"]
    expected = dict(on.metrics["far_pairs"])
    for block in (written, expected):
        assert block.pop("threshold") == pytest.approx(on.metrics["threshold"])
    assert json.dumps(written, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert f"{written['called_relevant']:.1%} of {written['n']} called relevant" in done.output
    assert 'id="far-pairs"' in (off.run_dir / "report.html").read_text()
    recorded = json.loads((off.run_dir / "metrics.json").read_text())["far_pairs"]
    again = add_far_pairs(off.run_dir, 100, progress=False)  # asked again: replaced
    assert again.far_pairs["n"] <= 100 and again.replaced == recorded


@pytest.mark.parametrize("quiet", [False, True])
def test_rerunning_the_check_says_what_it_replaced(trained_runs, tmp_path, quiet):
    """`far-pairs RUN --pairs 30` on a run whose training ran the check silently replaced its
    figures; it still does (metrics.json is rewritten) but says which, unless --quiet."""
    import shutil

    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["far_pairs"].update(n=1000, called_relevant=0.391)  # as train records on real rows
    (run / "metrics.json").write_text(json.dumps(metrics))
    done = CliRunner().invoke(main, ["far-pairs", str(run), "--pairs", "30",
                                     *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    now = json.loads((run / "metrics.json").read_text())["far_pairs"]
    assert now["n"] == 30
    note = ("note: replaces the check of 1,000 pairs recorded in metrics.json (39.1% called "
            f"relevant) with this one of 30 pairs ({now['called_relevant']:.1%} called relevant)")
    assert without_bars(done.stderr) == ("" if quiet else note + "\n")
    assert "replaces" not in done.stdout


def test_the_far_pairs_bar_names_the_fold_and_step_it_is_at(trained_runs, tmp_path):
    """`far-pairs RUN`'s bar said nothing while a fold's model loaded (an embed model's encoder)
    or scored its far pairs (embedding their new texts): it names the fold and the step, as
    train's folds bar does (and train's names the far pairs' scoring); --quiet: no bar."""
    import shutil

    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    done = CliRunner().invoke(main, ["far-pairs", str(run), "--pairs", "30"])
    assert done.exit_code == 0, done.output
    drawn = [line.rstrip() for line in done.stderr.replace("\n", "\r").split("\r")]
    bar = [line for line in drawn if line.startswith("far pairs:")]
    named = [line.rsplit(", ", 1)[1][:-1] for line in bar if ", fold" in line]
    assert named == [f"fold {fold}: {step}" for fold in (0, 1, 2)  # as models/fold_0
                     for step in ("loading the model", "scoring far pairs")], bar
    assert bar[-1].startswith("far pairs: 3/3 [") and "fold" not in bar[-1], bar[-1]

    quiet = CliRunner().invoke(main, ["far-pairs", str(run), "--pairs", "30", "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert "far pairs:" not in quiet.stderr and "fold" not in quiet.stderr


@pytest.mark.parametrize("quiet", [False, True])
def test_fewer_pairs_than_asked_is_a_note_that_quiet_silences(trained_runs, tmp_path, quiet):
    """Asking for more far pairs than the run has rows gives one a row and a note saying so;
    --quiet silenced the other notes but still printed this one."""
    import shutil

    from shoprel.evaluate.console import far_pairs_replaced_line

    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    earlier = json.loads((run / "metrics.json").read_text())["far_pairs"]
    done = CliRunner().invoke(main, ["far-pairs", str(run), "--pairs", "100000",
                                     *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    block = json.loads((run / "metrics.json").read_text())["far_pairs"]
    n = block["n"]
    assert 0 < n < 100000
    notes = (f"{far_pairs_replaced_line(earlier, block)}\n"  # (its words: the test above)
             f"note: {n} pairs, not 100000: one per row of the run at most\n")
    assert without_bars(done.stderr) == ("" if quiet else notes)
    assert f"of {n} called relevant" in done.stdout  # the result line stays
    assert "written into" in done.stdout


@pytest.mark.reads_report
def test_an_interrupted_rerun_leaves_metrics_and_report_as_they_were(tmp_path, qc_demo,
                                                                     monkeypatch):
    """A far-pairs rerun stopped while the report rendered left metrics.json with the new
    figures beside a report.html of the earlier run's: now neither is written until both
    are ready."""
    import shoprel.evaluate.report.document as document
    from shoprel.training.far_pairs_existing import add_far_pairs

    run = runner.train(qc_demo, tmp_path / "off",
                       load_config(None, {**FAST, "check.far_pairs": 0}), progress=False)
    first = add_far_pairs(run.run_dir, 100, progress=False).far_pairs
    before = {name: (run.run_dir / name).read_bytes() for name in ("metrics.json",
                                                                  "report.html")}

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(document, "render_report", stopped)
    with pytest.raises(KeyboardInterrupt):
        add_far_pairs(run.run_dir, 30, progress=False)
    assert {name: (run.run_dir / name).read_bytes() for name in before} == before
    assert json.loads(before["metrics.json"])["far_pairs"]["n"] == first["n"]
    monkeypatch.undo()
    second = add_far_pairs(run.run_dir, 30, progress=False).far_pairs
    assert second["n"] <= 30 < first["n"]
    assert f"scored {second['n']} pairs" in (run.run_dir / "report.html").read_text()


def test_far_pairs_afterwards_refuses_what_it_cannot_check(tmp_path, qc_demo):
    from shoprel.errors import ConfigError, RunDirError
    from shoprel.training.far_pairs_existing import add_far_pairs

    config = {**FAST, "final.keep_fold_models": False, "check.far_pairs": 0}
    run = runner.train(qc_demo, tmp_path / "run", load_config(None, config), progress=False)
    with pytest.raises(RunDirError, match="keeps no fold models"):
        add_far_pairs(run.run_dir, progress=False)
    with pytest.raises(ConfigError, match="--pairs: 0 is out of range"):
        add_far_pairs(run.run_dir, 0, progress=False)
    assert "far_pairs" not in json.loads((run.run_dir / "metrics.json").read_text())


@pytest.mark.parametrize("change", ["label", "origin_query"])
def test_far_pairs_afterwards_refuses_a_training_file_changed_since(tmp_path, qc_demo, change):
    """Same ids, another label or query: the run's OOF table says which rows it was trained
    on, so the check refuses instead of writing figures of rows the run never saw."""
    from shoprel.errors import RunDirError
    from shoprel.training.far_pairs_existing import add_far_pairs

    data = tmp_path / "train.jsonl"
    data.write_bytes(qc_demo.read_bytes())
    run = runner.train(data, tmp_path / "run", load_config(None, {**FAST, "check.far_pairs": 0}),
                       progress=False)
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    rows[3][change] = 1 - rows[3][change] if change == "label" else rows[3][change] + " x"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    before = (run.run_dir / "metrics.json").read_text()
    with pytest.raises(RunDirError, match=f"1 row.s. of {data} differ from those the run was "
                                          f"trained on .* e.g. id {rows[3]['id']!r}"):
        add_far_pairs(run.run_dir, progress=False)
    assert (run.run_dir / "metrics.json").read_text() == before


def test_a_row_gained_since_is_named_by_its_number_id(tmp_path, qc_demo):
    """A row added to a training file of number ids was named by numpy's repr, "e.g. id
    np.int64(9999)", where the file writes 9999."""
    from shoprel.errors import RunDirError
    from shoprel.training.far_pairs_existing import add_far_pairs

    data = tmp_path / "train.jsonl"
    data.write_bytes(qc_demo.read_bytes())
    run = runner.train(data, tmp_path / "run", load_config(None, {**FAST, "check.far_pairs": 0}),
                       progress=False)
    gained = {**json.loads(data.read_text(encoding="utf-8").splitlines()[0]), "id": 9999}
    with data.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(gained, ensure_ascii=False) + "\n")
    with pytest.raises(RunDirError) as refused:
        add_far_pairs(run.run_dir, progress=False)
    assert "1 not in the run, e.g. id 9999): was the file changed" in str(refused.value)


def test_far_pairs_afterwards_names_too_few_pairs_and_a_missing_training_file(tmp_path,
                                                                               qc_demo):
    from shoprel.errors import ConfigError, RunDirError
    from shoprel.training.far_pairs_existing import add_far_pairs

    data = tmp_path / "train.jsonl"
    data.write_bytes(qc_demo.read_bytes())
    run = runner.train(data, tmp_path / "run", load_config(None, {**FAST, "check.far_pairs": 0}),
                       progress=False)
    with pytest.raises(ConfigError, match="--pairs: 2 is too few for 3 folds"):
        add_far_pairs(run.run_dir, 2, progress=False)
    data.unlink()
    with pytest.raises(RunDirError, match="its training file .* data.train_file.: no file"):
        add_far_pairs(run.run_dir, progress=False)


def gone_backbone_copy(embed_run, tmp_path):
    """A copy of the embedding run whose backbone folder is no longer there; the line of its
    config.yaml writing model.params.backbone."""
    import shutil

    copy = shutil.copytree(embed_run, tmp_path / "run")
    gone = str(tmp_path / "gone")
    for path in [copy / "config.yaml", *copy.glob("models/*/model.json")]:
        text = path.read_text(encoding="utf-8")
        backbone = str(embed_run.parent / "bert")
        assert backbone in text
        path.write_text(text.replace(backbone, gone), encoding="utf-8")
    lines = (copy / "config.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(lines, 1) if row.strip() == f"backbone: {gone}")
    return copy, gone, line


def test_a_backbone_gone_since_training_is_named_in_the_run_s_config(embed_run, tmp_path):
    """far-pairs said 'model.params.backbone ...: no such folder' without saying whose: the
    run's config.yaml and its line are named now, as train names its config file's."""
    copy, gone, line = gone_backbone_copy(embed_run, tmp_path)
    result = CliRunner().invoke(main, ["far-pairs", str(copy), "--pairs", "10", "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {copy / 'config.yaml'}: line {line}: "
                                    f"model.params.backbone {gone!r}: no such folder")


def test_an_embedding_runs_fold_models_read_their_targets_from_the_final_models_index(
        embed_run, tmp_path, monkeypatch):
    """Each fold model of an embedding run saved its training targets' vectors beside its
    weights, ~80% of the final model's own (1.5 MB a fold for e5-small on 2,001 Home Depot
    rows); predict never reads them. Now only the final model saves them, and `far-pairs` on
    a machine without the run's embedding cache reads every fold's targets from there."""
    import shutil

    from shoprel.models.backbones import Encoder
    from shoprel.models.backbones.cache import CACHE_ENV
    from shoprel.training.far_pairs_existing import add_far_pairs

    models = embed_run / "models"
    assert (models / "full" / "index").is_dir()
    assert [f.name for f in sorted(models.glob("fold_*/index"))] == []
    run = shutil.copytree(embed_run, tmp_path / "run")
    encoded = []
    encode = Encoder.encode
    monkeypatch.setattr(Encoder, "encode", lambda self, texts, kind="query": (
        encoded.extend(kind for _ in texts), encode(self, texts, kind=kind))[1])
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "empty-cache"))
    add_far_pairs(run, 60, progress=False)
    assert set(encoded) == {"query"}
