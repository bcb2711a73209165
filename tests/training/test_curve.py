"""The learning curve: same folds, growing shares of the training rows, written into the run."""

import json
import re

import numpy as np
import pytest

from shoprel.errors import ConfigError
from shoprel.training.config_reading import load_config
from shoprel.training.curve import CURVE_FILE, check_fractions, learning_curve, subsample
from shoprel.training.runner import train

# the tests marked reads_report read a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

FAST = {"model.family": "fast", "model.params.n_features": 2**16,
        "model.params.n_estimators": 60, "folds.k": 3}


def test_fractions_are_checked():
    assert check_fractions([0.5, 0.1, 0.5]) == [0.1, 0.5]
    for bad, said in (([0], "0 is out of range; it must be above 0"),
                      ([1.0], "1.0 is out of range; it must be below 1"),
                      ([0.1, 1.5], "1.5 is out of range; it must be below 1"),
                      ([float("nan")], "nan is out of range; it must be above 0"),
                      ([float("inf")], "inf is out of range; it must be below 1")):
        with pytest.raises(ConfigError) as info:
            check_fractions(bad)
        assert str(info.value) == f"learning curve: {said}"


@pytest.mark.parametrize("fractions, message", [
    ([True], "True is not a number; fractions are numbers strictly between 0 and 1"),
    ([0.5, False], "False is not a number; fractions are numbers strictly between 0 and 1"),
    (["0.5"], "'0.5' is text; write a number: 0.5"),
])
def test_a_fraction_that_is_no_number_is_said_to_be_none(fractions, message):
    """True and False were refused with the range message ("must lie strictly between 0 and
    1, got [True]"), though True compares as 1; text failed later with a TypeError."""
    with pytest.raises(ConfigError, match=f"^learning curve: {message}$"):
        check_fractions(fractions)


def test_a_boolean_share_given_to_train_is_refused_before_the_cross_validation(tmp_path, qc_demo):
    """train(curve_fractions=[True]) said "--curve-fractions: True keeps every one of fold 0's
    240 training rows": the share was read as 1."""
    with pytest.raises(ConfigError, match="^learning curve: True is not a number"):
        train(qc_demo, tmp_path / "run", load_config(None, FAST), progress=False,
              curve_fractions=[True])
    assert not (tmp_path / "run").exists()


def test_shares_a_fold_cannot_learn_from_fail_before_the_cross_validation(tmp_path, qc_demo,
                                                                          monkeypatch):
    """0.003 of a fold's ~240 rows leaves 2 rows (one label, or too few); 0.9999 all of them."""
    import shoprel.training.runner as runner

    def no_cv(*args, **kwargs):
        raise AssertionError("the cross-validation started")

    monkeypatch.setattr(runner, "cross_validate", no_cv)
    for shares, message in (([0.1, 0.003], "0.003 leaves fold"), ([0.9999], "0.9999 keeps every")):
        with pytest.raises(ConfigError, match=f"--curve-fractions: {message}"):
            train(qc_demo, tmp_path / "run", load_config(None, FAST), progress=False,
                  curve_fractions=shares)
        assert not (tmp_path / "run").exists()


def test_subsample_is_seeded_and_sized():
    rows = np.arange(100, 200)
    a, b = subsample(rows, 0.25, 3), subsample(rows, 0.25, 3)
    assert len(a) == 25 and np.array_equal(a, b) and set(a) <= set(rows)
    assert not np.array_equal(a, subsample(rows, 0.25, 4))


@pytest.mark.reads_report
def test_run_keeps_a_learning_curve(tmp_path, qc_demo):
    result = train(qc_demo, tmp_path / "run", load_config(None, FAST),
                   progress=False, curve_fractions=[0.25, 0.5])
    curve = json.loads((result.run_dir / CURVE_FILE).read_text())
    points = curve["points"]
    assert [p["fraction"] for p in points] == [0.25, 0.5, 1.0]
    assert points[0]["rows"] < points[1]["rows"] < points[2]["rows"]
    assert len(points[0]["fold_roc_auc"]) == 3
    # the 100% point is the run's own cross-validation
    assert points[-1]["roc_auc"] == pytest.approx(result.metrics["overall"]["roc_auc"])
    assert points[-1]["baseline_f1"] == pytest.approx(
        result.metrics["overall"]["baseline_all_positive_f1"])
    assert result.metrics["learning_curve"]["points"] == points
    assert result.metrics["timing"]["curve_seconds"] > 0  # the summary's run time names it
    # fewer rows fit worse on this set (it is built so that words carry the signal)
    assert points[0]["roc_auc"] < points[-1]["roc_auc"]
    report = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert '<section id="learning-curve">' in report and "Learning curve: out-of-fold" in report


def quiet_curve_train(data, tmp_path, n_estimators: int, k: int):
    """`shoprel train DATA --learning-curve --curve-fractions 0.5 --quiet` of a small fast
    model through the CLI, into tmp_path/run."""
    from click.testing import CliRunner

    from shoprel.cli import main

    config = tmp_path / "fast.yaml"
    config.write_text("model: {family: fast, params: {n_features: 65536, "
                      f"n_estimators: {n_estimators}}}}}\nfolds: {{k: {k}}}\n")
    return CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                     "--config", str(config), "--learning-curve",
                                     "--curve-fractions", "0.5", "--quiet"])


def test_train_prints_the_curve_and_says_its_f1_is_not_the_runs(tmp_path, qc_demo):
    """The 100% point printed 'F1 0.8171' under a table whose overall F1 was 0.8129 (nested),
    with nothing saying why; each point's F1 is now labelled as cut at its own best threshold."""


    # 400 trees: a final fit of 0.05 s or more on an idle machine, which the summary names (60
    # trees took under 0.05 s, left out of the summary as too short to say)
    done = quiet_curve_train(qc_demo, tmp_path, n_estimators=400, k=3)
    assert done.exit_code == 0, done.output
    summary = done.output.splitlines()[0]
    assert re.fullmatch(r"task QC  rows \d+  threshold [\d.]+  cv [\d.]+s  run [\d.]+s \("
                        r"learning curve [\d.]+s, final fit [\d.]+s\)", summary), summary
    lines = [line for line in done.output.splitlines() if line.startswith("learning curve:")]
    curve = json.loads((tmp_path / "run" / CURVE_FILE).read_text())["points"]
    assert lines[:2] == [f"learning curve: {p['fraction']:>5.0%} ({p['rows']:.0f} rows/fold)  "
                         f"AUC {p['roc_auc']:.4f}  best-cut F1 {p['f1']:.4f}" for p in curve]
    assert lines[2] == ("learning curve: best-cut F1 is cut at each point's own best "
                        "out-of-fold threshold (optimistic): compare the points with each other, "
                        "not with the F1 above")


class LearnsFromEnoughRows:
    """A fold model that gives every row one score when fitted on fewer than `least` rows (as
    LightGBM does when no split finds enough rows), else scores by the label, a little noisy."""

    def __init__(self, least):
        self.least = least

    def fit(self, rows):
        self.rows = len(rows)
        return self

    def predict_proba(self, frame):
        if self.rows < self.least:
            score = np.full(len(frame), 0.7)
        else:
            score = 0.3 + 0.4 * frame.labels + 0.1 * (np.arange(len(frame)) % 3)
        return np.column_stack([1 - score, score])


def test_a_share_whose_fold_models_score_every_row_alike_is_marked(qc_demo):
    """10% of a small set left the fold models constant: the point said AUC 0.5000 like a
    measurement. It now names the folds whose model scored every row alike."""
    from shoprel.data.readers import read_pairs

    frame = read_pairs(qc_demo, require_label=True)
    folds = np.arange(len(frame)) % 3
    full = 0.3 + 0.4 * frame.labels + 0.1 * (np.arange(len(frame)) % 3)
    curve = learning_curve(frame, folds, full, lambda: LearnsFromEnoughRows(50), None,
                           [0.1, 0.5], progress=False)
    small, half, whole = curve["points"]
    assert small["rows"] < 50 < half["rows"]
    assert small["constant_folds"] == [0, 1, 2] and small["roc_auc"] == 0.5
    assert half["constant_folds"] == [] == whole["constant_folds"]
    assert half["roc_auc"] > 0.9


class NamesItsSteps(LearnsFromEnoughRows):
    """A fold model whose fit names a step of its own, as the embed family's blocks do."""

    def fit(self, rows):
        from shoprel.utils.progress import report_step

        report_step("boosters 1/3")
        return super().fit(rows)


def test_the_curve_bar_names_the_step_each_fit_is_at(qc_demo, capsys, tmp_path, monkeypatch):
    """--learning-curve refits every fold at each share under a 'learning curve' bar that said
    nothing of the fit it waited for (an embed fit is minutes): its line now names the share,
    the fold and the step, as train's folds bar does; --quiet draws none."""

    from shoprel.data.readers import read_pairs

    frame = read_pairs(qc_demo, require_label=True)
    folds = np.arange(len(frame)) % 2
    full = 0.3 + 0.4 * frame.labels
    monkeypatch.setenv("COLUMNS", "200")  # a log this wide keeps every prefix and step whole
    learning_curve(frame, folds, full, lambda: NamesItsSteps(1), None, [0.5], progress=True)
    drawn = [line.rstrip() for line in capsys.readouterr().err.replace("\n", "\r").split("\r")]
    bar = [line for line in drawn if line.startswith("learning curve:")]
    for fold in (0, 1):  # numbered as folds.parquet numbers them
        steps = [line.rsplit(f"fold {fold}: ", 1)[1][:-1] for line in bar
                 if f"fold {fold}: " in line]
        assert steps == ["fitting", "boosters 1/3", "scoring held-out rows"], bar
    assert any(line.endswith(", 50% of fold 0: fitting]") for line in bar), bar
    assert bar[-1].startswith("learning curve: 2/2 [") and "fold" not in bar[-1], bar[-1]

    done = quiet_curve_train(qc_demo, tmp_path, n_estimators=20, k=2)
    assert done.exit_code == 0, done.output
    assert "of fold" not in done.output and "booster" not in done.output
    assert "learning curve:" not in capsys.readouterr().err
