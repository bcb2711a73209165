"""Distillation round trip: teacher run/ensemble → student run through the CLI → predict."""

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from tests.conftest import reports_deferred, still_open, without_bars

from shoprel.cli import main
from shoprel.cli.distill import distill as distill_command
from shoprel.errors import ConfigError, RunDirError
from shoprel.models.fast.model import FastModel
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, FOLDS, MANIFEST, METRICS, OOF, STUDENT
from shoprel.training.config_reading import load_config
from shoprel.training.distill import distill
from shoprel.training.runner import train

# only the test marked reads_report reads a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

SMALL = {"folds.k": 3, "model.family": "fast",
         "model.params.n_features": 2**16, "model.params.n_estimators": 30,
         "model.params.n_jobs": 1}
FAST = Path(__file__).parents[2] / "configs" / "fast.yaml"
STUDENT_YAML = """model:
  family: fast
  params: {n_features: 65536, n_estimators: 30, n_jobs: 1, stack: false}
folds: {k: 7, seed: 99}  # ignored: the student uses the teacher's folds
"""


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """A demo QC run, a second one with other params, and their mean ensemble."""
    from shoprel.demo import demo_file
    from shoprel.ensemble.runner import build_ensemble

    root = tmp_path_factory.mktemp("teachers")
    data = demo_file("QC")
    # module-scoped, so no_report_charts (each test's) did not reach it: three reports unread
    with reports_deferred():
        a = train(data, root / "a", load_config(None, SMALL), progress=False).run_dir
        b = train(data, root / "b", load_config(None, {**SMALL, "model.params.C": 0.5,
                                                       "model.params.stack": False}),
                  progress=False).run_dir
        build_ensemble([a, b], root / "ens", method="mean")
    return {"run": a, "ensemble": root / "ens", "data": data}


@pytest.fixture
def student_yaml(tmp_path):
    path = tmp_path / "student.yaml"
    path.write_text(STUDENT_YAML, encoding="utf-8")
    return path


def test_cli_round_trip_from_an_ensemble_then_predict(teachers, student_yaml, tmp_path):
    out = tmp_path / "student"
    result = CliRunner().invoke(distill_command, [
        str(teachers["ensemble"]), "--student", str(student_yaml), "--out", str(out),
        "--hard-weight", "0.4", "--speed-rows", "200", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "teacher OOF" in result.output and "speed-up" in result.output
    speed = Run.open(out).metrics()["distillation"]["speed"]
    if speed["speed_up"] is not None:  # the training rows', texts cached: not new queries'
        assert "x on 200 of the training file's rows, whose texts the embedding caches may " \
            "hold" in result.output
    else:  # too quick or too noisy on this machine now: said so, no ratio
        assert f"scoring: speed-up not said, {speed['speed_up_unknown']}" in result.output

    run = Run.open(out)
    assert run.kind == "run" and run.task.value == "QC"
    teacher_folds = pd.read_parquet(teachers["ensemble"] / FOLDS)
    student_folds = pd.read_parquet(out / FOLDS)
    assert student_folds["id"].tolist() == teacher_folds["id"].tolist()
    assert (student_folds["fold"] == teacher_folds["fold"]).all()

    metrics = run.metrics()
    block = metrics["distillation"]
    teacher_metrics = Run.open(teachers["ensemble"]).metrics()
    assert block["teacher"]["kind"] == "ensemble" and block["hard_weight"] == 0.4
    assert block["teacher_oof"]["roc_auc"] == teacher_metrics["overall"]["roc_auc"]
    assert block["student_oof"]["f1"] == metrics["overall"]["f1"]
    # no quality bar: on the 360-row demo with grouped folds even the teacher ranks near chance
    assert 0 < block["student_oof"]["roc_auc"] < 1
    assert block["speed"]["student"]["rows"] == 200
    assert min(block["speed"]["teacher"]["timed_seconds"],
               block["speed"]["student"]["timed_seconds"]) >= 1 or \
        block["speed"]["speed_up_unknown"].startswith("too quick to time on 200 pairs")
    assert "caveat" in block and metrics["overall"]["n"] == 360

    predictions = tmp_path / "pred.csv"
    result = CliRunner().invoke(main, ["predict", str(out), str(teachers["data"]),
                                       "--out", str(predictions), "--quiet"])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(predictions)
    assert len(scored) == 360 and scored["probability"].between(0, 1).all()


def test_a_fast_student_of_a_fast_teacher_is_about_as_quick(teachers, student_yaml, tmp_path):
    """A single ~10 ms pass each once said 0.36x–2.4x for such a pair: timed for a second each
    (the teacher stacked, the student not), it is near 1x (~1.4x here), or said to be too quick or
    too noisy to time."""
    speed = distill(teachers["run"], student_yaml, tmp_path / "s", progress=False,
                    speed_rows=2000).metrics["distillation"]["speed"]
    assert speed["student"]["rows"] == speed["teacher"]["rows"] == 360  # all the demo has
    if speed["speed_up"] is None:
        assert speed["speed_up_unknown"].startswith(("too quick to time on 360 pairs",
                                                     "too noisy to say on 360 pairs"))
    else:
        assert 0.5 <= speed["speed_up"] <= 2 and "speed_up_unknown" not in speed
        for who in ("teacher", "student"):
            assert speed[who]["timed_seconds"] >= 1 and speed[who]["passes"] >= 2
    saved = Run.open(tmp_path / "s").metrics()["distillation"]["speed"]
    assert saved == speed


def test_student_fits_the_mixed_teacher_targets(teachers, student_yaml, tmp_path, monkeypatch):
    seen = []
    fit = FastModel.fit

    def spy(self, frame):
        seen.append(frame.df[["id", "label", "soft_label"]].copy())
        return fit(self, frame)

    monkeypatch.setattr(FastModel, "fit", spy)
    distill(teachers["run"], student_yaml, tmp_path / "s", hard_weight=0.3, progress=False,
            speed_rows=0)
    oof = Run.open(teachers["run"]).oof().set_index("id")["probability"]
    final = seen[-1]  # the full fit sees every row
    expected = 0.3 * final["label"] + 0.7 * final["id"].map(oof)
    np.testing.assert_allclose(final["soft_label"], expected)
    assert len(seen) == 4 and len(final) == 360
    metrics = json.loads((tmp_path / "s" / METRICS).read_text())
    assert "speed" not in metrics["distillation"]


def test_teacher_on_other_rows_is_refused(teachers, student_yaml, tmp_path):
    fake = tmp_path / "teacher"
    import shutil

    shutil.copytree(teachers["run"], fake)
    oof = pd.read_parquet(fake / OOF)
    oof.iloc[:-5].to_parquet(fake / OOF, index=False)
    with pytest.raises(RunDirError, match="holds 355 rows, but the run has 360"):
        distill(fake, student_yaml, tmp_path / "s", progress=False)  # a damaged table
    manifest = json.loads((fake / MANIFEST).read_text())
    (fake / MANIFEST).write_text(json.dumps({**manifest, "n_rows": 355}))
    with pytest.raises(RunDirError, match="do not match"):  # a run of other rows
        distill(fake, student_yaml, tmp_path / "s", progress=False)


def test_student_on_another_task_is_refused(teachers, tmp_path):
    config = tmp_path / "qi.yaml"
    config.write_text("data: {task: QI}\n")
    with pytest.raises(ConfigError, match="data.task"):
        distill(teachers["run"], config, tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()


def test_student_family_that_ignores_soft_targets_is_refused(teachers, tmp_path):
    config = tmp_path / "cross.yaml"
    config.write_text("model: {family: cross}\n")
    with pytest.raises(ConfigError, match="ignores per-row weights"):
        distill(teachers["run"], config, tmp_path / "s", progress=False)


@pytest.mark.slow  # two distillations and six teacher refits
def test_nested_teacher_removes_the_self_distillation_leak(teachers, tmp_path, monkeypatch):
    """A student with the teacher's own config and hard_weight 0 can only beat the teacher
    through the leak; nested soft targets must not show that gain."""
    config = tmp_path / "same.yaml"
    config.write_text("model:\n  family: fast\n  params: {n_features: 65536, n_estimators: 30, "
                      "n_jobs: 1}\n")
    seen = []
    fit = FastModel.fit

    def spy(self, frame):
        if "soft_label" in frame.df:
            seen.append(frame.df[["id", "soft_label"]].copy())
        return fit(self, frame)

    leaky = distill(teachers["run"], config, tmp_path / "leaky", hard_weight=0.0,
                    progress=False, speed_rows=0).metrics
    monkeypatch.setattr(FastModel, "fit", spy)
    honest = distill(teachers["run"], config, tmp_path / "nested", hard_weight=0.0,
                     progress=False, speed_rows=0, nested=True).metrics
    teacher_auc = leaky["distillation"]["teacher_oof"]["roc_auc"]
    assert honest["distillation"]["nested"] is True
    assert leaky["overall"]["roc_auc"] > teacher_auc + 0.05
    assert honest["overall"]["roc_auc"] < leaky["overall"]["roc_auc"] - 0.05

    oof = Run.open(teachers["run"]).oof().set_index("id")["probability"]
    assert len(seen) == 4  # three student folds and the final fit (the teacher has none)
    for frame in seen[:3]:
        assert not np.allclose(frame["soft_label"], frame["id"].map(oof))
    np.testing.assert_allclose(seen[3]["soft_label"], seen[3]["id"].map(oof))


def reference_nested_teacher(frame, folds, members) -> dict:
    """The nested teacher spelt out: for student fold f and each other fold g, every member
    fitted without folds f and g scores fold g's rows, the members' weighted mean kept."""
    from shoprel.training.runner import new_model

    k = int(folds.max()) + 1
    out = {}
    for f in range(k):
        p = np.full(len(frame), np.nan)
        for g in set(range(k)) - {f}:
            fit = frame.take(np.flatnonzero((folds != f) & (folds != g)))
            held = frame.take(np.flatnonzero(folds == g))
            p[folds == g] = sum(weight * new_model(config).fit(fit).predict_proba(held)[:, 1]
                                for config, weight in members) / sum(w for _, w in members)
        out[f] = p
    return out


def test_the_nested_teacher_fits_each_pair_of_folds_once(monkeypatch):
    """Student fold f's refit without fold g and student fold g's without fold f train on
    the same rows, config, seed and start, yet each was fitted: k(k-1) refits per teacher
    model. One refit per pair of folds now scores both; the probabilities are those of the
    refits spelt out one by one, at k(k-1)/2 fits per model."""
    from shoprel.data.readers import read_pairs
    from shoprel.demo import demo_file
    from shoprel.folds.grouped import assign_folds
    from shoprel.training import distill as distill_module
    from shoprel.training import runner

    frame = read_pairs(demo_file("QC"))
    folds = assign_folds(frame, 3, 42)
    tiny = {"model.family": "fast", "model.params.n_features": 2**12,
            "model.params.stack": False}  # its linear score alone: a fit is a blink
    members = [(load_config(None, tiny), 0.25),
               (load_config(None, {**tiny, "model.params.C": 0.5}), 0.75)]
    expected = reference_nested_teacher(frame, folds, members)

    fitted_without = []  # per fit: the folds its rows leave out
    made = runner.new_model

    def counted(config, start_from=None):
        model = made(config, start_from)
        fit = model.fit

        def spy(rows):
            held = set(range(3)) - set(folds[frame.df["id"].isin(rows.df["id"])].tolist())
            fitted_without.append(tuple(sorted(held)))
            return fit(rows)

        model.fit = spy
        return model

    monkeypatch.setattr(runner, "new_model", counted)
    monkeypatch.setattr(distill_module, "teacher_specs", lambda teacher, rows: [
        distill_module.TeacherModel(config, weight) for config, weight in members])
    got = distill_module.nested_teacher(None, frame, folds, progress=False)
    assert sorted(got) == [0, 1, 2]
    for f in range(3):
        assert np.isnan(got[f][folds == f]).all() and not np.isnan(got[f][folds != f]).any()
        np.testing.assert_array_equal(got[f], expected[f])
    assert len(fitted_without) == 3 * 2 // 2 * 2  # k(k-1)/2 pairs, two models each
    assert Counter(fitted_without) == {(0, 1): 2, (0, 2): 2, (1, 2): 2}


def test_at_80_columns_the_nested_teachers_bar_keeps_the_trees_counted(monkeypatch, capsys):
    """In a log read at 80 columns, 'without folds 0 and 1, model 2/2: ' took the trees off
    the refit's step ('boosters 1/3' for 'boosters 1/3, tree 150/400'): the prefix is
    shortened ('w/o 0,1, model 2/2: '), the count kept."""
    from shoprel.data.readers import read_pairs
    from shoprel.demo import demo_file
    from shoprel.folds.grouped import assign_folds
    from shoprel.training import distill as distill_module
    from shoprel.training import runner
    from shoprel.utils.progress import report_step

    class Counting:
        def fit(self, rows):
            report_step("boosters 1/3, tree 150/400")
            return self

        def predict_proba(self, rows):
            return np.full((len(rows), 2), 0.5)

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(runner, "new_model", lambda config, start_from=None: Counting())
    tiny = load_config(None, {"model.family": "fast", "model.params.n_features": 2**12})
    monkeypatch.setattr(distill_module, "teacher_specs", lambda teacher, rows: [
        distill_module.TeacherModel(tiny, 0.5), distill_module.TeacherModel(tiny, 0.5)])
    frame = read_pairs(demo_file("QC"))
    distill_module.nested_teacher(None, frame, assign_folds(frame, 5, 42), progress=True)
    lines = [line.rstrip() for line in capsys.readouterr().err.replace("\n", "\r").split("\r")
             if "tree" in line]
    assert len(lines) == 20 and max(len(line) for line in lines) <= 79, lines
    assert re.fullmatch(r"nested teacher: 0/10 \[[\d:]+(<\?)?, w/o 0,1, model 1/2: boosters "
                        r"1/3, tree 150/400\]", lines[0]), lines
    assert all(re.search(r", w/o \d,\d, model [12]/2: boosters 1/3, tree 150/400]$", line)
               for line in lines), lines


def demo_rows_and_spanish_table(tmp_path):
    """The demo's QC rows and a translation table taking each Spanish query to 'pt QUERY'."""
    from shoprel.data.readers import read_pairs
    from shoprel.demo import demo_file

    frame = read_pairs(demo_file("QC"))
    spanish = frame.df.loc[frame.df["language"] == "es", "query"].unique()
    table = tmp_path / "t.jsonl"
    table.write_text("".join(json.dumps({"text": q, "source": "es", "target": "pt",
                                         "translation": f"pt {q}"}, ensure_ascii=False) + "\n"
                             for q in spanish), encoding="utf-8")
    return frame, table


def constant_fits(monkeypatch) -> list:
    """Make every nested fit a constant model that records how many augmented rows it was
    given: the fits do not matter to these tests, only the rows each is given."""
    from shoprel.training import runner

    augmented = []

    class Constant:
        def fit(self, rows):
            augmented.append(rows.stats["augmented"])
            return self

        def predict_proba(self, rows):
            return np.full((len(rows), 2), 0.5)

    monkeypatch.setattr(runner, "new_model", lambda config, start_from=None: Constant())
    return augmented


def test_nested_teacher_sends_each_query_to_the_translation_backend_once(
        tmp_path, table_sends, monkeypatch):
    """A teacher trained with augment.translate is refitted k(k-1)/2 times: each refit built its
    own translator, so the backend heard every Spanish row of every refit (for 39 distinct
    queries here); each distinct query is now sent once for the whole nested teacher."""
    from shoprel.folds.grouped import assign_folds
    from shoprel.training import distill as distill_module

    frame, table = demo_rows_and_spanish_table(tmp_path)
    spanish = frame.df.loc[frame.df["language"] == "es", "query"]
    config = load_config(None, {**SMALL, "augment.translate": {"pt": "es"},
                                "augment.backend": "table", "augment.table": str(table)})
    monkeypatch.setattr(distill_module, "teacher_specs",
                        lambda teacher, rows: [distill_module.TeacherModel(config, 1.0)])
    augmented = constant_fits(monkeypatch)
    folds = assign_folds(frame, 3, 42)
    distill_module.nested_teacher(None, frame, folds, progress=False)
    assert len(augmented) == 3 and all(count > 0 for count in augmented)
    assert len(spanish) == 45 and sorted(table_sends) == sorted(spanish.unique())


def test_nested_teacher_closes_the_translation_caches_it_opens(tmp_path, monkeypatch,
                                                               translation_caches):
    """Each teacher model's training side opened augment.cache for the nested refits and left
    its SQLite connection open until garbage collection; it is closed once they are done."""
    from shoprel.folds.grouped import assign_folds
    from shoprel.training import distill as distill_module

    frame, table = demo_rows_and_spanish_table(tmp_path)
    config = load_config(None, {**SMALL, "augment.translate": {"pt": "es"},
                                "augment.backend": "table", "augment.table": str(table),
                                "augment.cache": str(tmp_path / "tr.sqlite")})
    monkeypatch.setattr(distill_module, "teacher_specs",
                        lambda teacher, rows: [distill_module.TeacherModel(config, 1.0)] * 2)
    constant_fits(monkeypatch)
    distill_module.nested_teacher(None, frame, assign_folds(frame, 3, 42), progress=False)
    assert len(translation_caches) == 1  # the two models read one cache: one translator
    assert not any(still_open(cache) for cache in translation_caches)


def test_a_teacher_ensemble_s_members_share_one_translator(tmp_path, table_sends, monkeypatch,
                                                          translation_caches):
    """Each member of a teacher ensemble built its own translator for the nested refits, so
    members trained with the same augment.translate backend sent every distinct query once
    each; members with one backend (backend, table, model, cache) now share one translator,
    its cache opened once and closed once the refits are done."""
    from shoprel.folds.grouped import assign_folds
    from shoprel.training import distill as distill_module

    frame, table = demo_rows_and_spanish_table(tmp_path)
    spanish = frame.df.loc[frame.df["language"] == "es", "query"].unique()
    augment = {"augment.translate": {"pt": "es"}, "augment.backend": "table",
               "augment.table": str(table)}
    cached = {**augment, "augment.cache": str(tmp_path / "tr.sqlite")}
    members = [load_config(None, {**SMALL, **augment}),
               load_config(None, {**SMALL, **augment, "model.params.n_estimators": 20}),
               load_config(None, {**SMALL, **cached}),
               load_config(None, {**SMALL, **cached, "model.params.n_estimators": 20})]
    monkeypatch.setattr(distill_module, "teacher_specs", lambda teacher, rows: [
        distill_module.TeacherModel(config, 1.0) for config in members])
    augmented = constant_fits(monkeypatch)
    distill_module.nested_teacher(None, frame, assign_folds(frame, 3, 42), progress=False)
    assert len(augmented) == 12 and all(count > 0 for count in augmented)
    # the two members without a cache share one translator, the two with tr.sqlite another:
    # the backend hears each query once per translator (the second its cache's misses)
    assert sorted(table_sends) == sorted([*spanish, *spanish])
    assert [cache.path.name for cache in translation_caches] == ["tr.sqlite"]
    assert not any(still_open(cache) for cache in translation_caches)


def test_a_teacher_ensemble_of_an_ensemble_refits_the_runs_inside(teachers, tmp_path):
    """Its member ensemble's config.yaml records a combination, not a model: reading it as a
    run config failed with 'ensemble: unknown key'; its runs are refitted, weights scaled."""
    from shoprel.data.readers import read_pairs
    from shoprel.ensemble.runner import build_ensemble
    from shoprel.training.distill import open_teacher, teacher_specs

    c = train(teachers["data"], tmp_path / "c", load_config(None, {
        **SMALL, "model.params.n_estimators": 20}), progress=False).run_dir
    build_ensemble([teachers["ensemble"], c], tmp_path / "outer", method="mean")
    teacher = open_teacher(tmp_path / "outer")
    specs = teacher_specs(teacher, read_pairs(teacher.train_file))
    assert [spec.weight for spec in specs] == [0.25, 0.25, 0.5]
    assert [spec.config.model.params.get("C") for spec in specs][1] == 0.5  # run b's own
    assert all(spec.start_from is None and spec.stage0 is None for spec in specs)


def test_a_teacher_members_broken_config_is_named_as_its_other_messages_name_it(
        teachers, tmp_path, monkeypatch):
    """The nested refits read each member's config.yaml through the ensemble (runs/ens/../a);
    a broken one was named so, while every other member message says runs/a/config.yaml."""
    import shutil

    from shoprel.data.readers import read_pairs
    from shoprel.training.distill import open_teacher, teacher_specs

    ensemble = teachers["ensemble"]
    for folder in (teachers["run"], ensemble.parent / "b", ensemble):
        shutil.copytree(folder, tmp_path / "runs" / folder.name)
    monkeypatch.chdir(tmp_path)
    teacher = open_teacher("runs/ens")
    assert str(teacher.run.member_dirs()[0]) == "runs/ens/../a"  # as run.json stores it
    (tmp_path / "runs" / "a" / CONFIG).write_text("model: {family: fast\n")
    with pytest.raises(ConfigError) as caught:
        teacher_specs(teacher, read_pairs(teacher.train_file))
    assert str(caught.value).startswith("runs/a/config.yaml: not valid YAML: "), caught.value


def test_unlabeled_pairs_train_every_fit_with_the_teacher_scores(teachers, student_yaml,
                                                                 tmp_path, monkeypatch):
    from shoprel.data.readers import read_pairs
    from shoprel.predict.predictor import Predictor

    rows = read_pairs(teachers["data"]).df.head(50)
    unlabeled = tmp_path / "to_predict.jsonl"
    with open(unlabeled, "w", encoding="utf-8") as fh:  # no label field, like a test file
        for r in rows.itertuples():
            fh.write(json.dumps({"id": f"t{r.id}", "language": r.language,
                                 "origin_query": f"{r.query} new",
                                 "category_path": r.target}) + "\n")
    expected = Predictor(teachers["run"]).probabilities(read_pairs(unlabeled))
    seen = []
    fit = FastModel.fit

    def spy(self, frame):
        seen.append(frame.df.copy())
        return fit(self, frame)

    monkeypatch.setattr(FastModel, "fit", spy)
    out = tmp_path / "student"
    result = CliRunner().invoke(distill_command, [
        str(teachers["run"]), "--student", str(student_yaml), "--out", str(out),
        "--unlabeled", str(unlabeled), "--speed-rows", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "50 teacher-scored unlabelled pairs" in result.output
    assert len(seen) == 4
    for frame in seen:  # every fold fit and the final fit learn from them
        extra = frame[frame["id"].astype(str).str.startswith("unlabeled")]
        assert len(extra) == 50
        np.testing.assert_allclose(extra["soft_label"], expected)
    metrics = Run.open(out).metrics()
    assert metrics["overall"]["n"] == 360  # never a validation row
    assert metrics["distillation"]["unlabeled"]["rows"] == 50
    assert metrics["distillation"]["oof_optimistic"] is True  # what compare flags
    assert "its teacher-scored pairs (--unlabeled)" in metrics["distillation"]["caveat"]
    assert not Run.open(out).oof()["id"].astype(str).str.startswith("unlabeled").any()


def test_unlabeled_pairs_of_the_teachers_training_rows_are_left_out(teachers, student_yaml,
                                                                    tmp_path):
    """The teacher's final model learnt those pairs' labels: with them in the student's
    training side its validation folds would hear their own rows (OOF inflated). A pair
    given twice (the same file twice) is kept once."""
    from shoprel.data.readers import read_pairs

    rows = read_pairs(teachers["data"]).df
    mixed = tmp_path / "mixed.jsonl"
    with open(mixed, "w", encoding="utf-8") as fh:
        for number, r in enumerate(rows.head(30).itertuples()):
            query = r.query if number < 20 else f"{r.query} new"  # 20 training pairs, 10 new
            fh.write(json.dumps({"id": f"t{number}", "language": r.language,
                                 "origin_query": query, "category_path": r.target}) + "\n")
    out = tmp_path / "student"
    result = CliRunner().invoke(distill_command, [
        str(teachers["run"]), "--student", str(student_yaml), "--out", str(out),
        "--unlabeled", str(mixed), "--unlabeled", str(mixed), "--speed-rows", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    assert ("learnt from 10 teacher-scored unlabelled pairs (left out: 40 of the teacher's "
            "training pairs, 10 repeated)") in result.output
    block = Run.open(out).metrics()["distillation"]["unlabeled"]
    assert block["rows"] == 10
    assert block["left_out"] == {"teacher_training_pairs": 40, "repeated_pairs": 10}
    only_training = tmp_path / "only_training.jsonl"
    only_training.write_text("".join(line for line in mixed.read_text().splitlines(True)[:20]))
    result = CliRunner().invoke(distill_command, [
        str(teachers["run"]), "--student", str(student_yaml), "--out", str(tmp_path / "s2"),
        "--unlabeled", str(only_training), "--speed-rows", "0", "--quiet"])
    assert str(result.exception) == (
        f"{only_training}: no pairs to learn from (20 are the teacher's training pairs); "
        "--unlabeled takes pairs the teacher was not trained on (a file you will predict), or "
        "leave it out to distil from the labelled rows alone")


def unlabeled_with_empty_texts(teachers, tmp_path):
    """20 new pairs, of which line 3 has a blank target, line 5 a null query and line 9 an
    empty target."""
    from shoprel.data.readers import read_pairs

    path = tmp_path / "new.jsonl"
    rows = []
    for number, r in enumerate(read_pairs(teachers["data"]).df.head(20).itertuples()):
        query, target = f"{r.query} new", r.target
        if number in (2, 8):
            target = "  " if number == 2 else ""
        if number == 4:
            query = None
        rows.append(json.dumps({"id": f"t{number}", "language": r.language,
                                "origin_query": query, "category_path": target}) + "\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("policy", ["keep", "drop"])
def test_unlabeled_rows_with_an_empty_text_follow_data_empty_text_with_a_note(
        teachers, tmp_path, policy):
    """An --unlabeled file's rows with an empty query or target were scored by the teacher and
    learnt from with no word, where train notes its own file's (and drops them under
    data.empty_text: drop): they follow the student config's policy now, with train's note
    naming the file and counting them, which --quiet leaves out."""
    new = unlabeled_with_empty_texts(teachers, tmp_path)
    config = tmp_path / "student.yaml"
    config.write_text(f"{STUDENT_YAML}data: {{empty_text: {policy}}}\n", encoding="utf-8")
    said = "dropped" if policy == "drop" else "kept"
    for quiet in (False, True):
        out = tmp_path / f"s{quiet}"
        result = CliRunner().invoke(distill_command, [
            str(teachers["run"]), "--student", str(config), "--out", str(out),
            "--unlabeled", str(new), "--speed-rows", "0", *(["--quiet"] if quiet else [])])
        assert result.exit_code == 0, result.output
        line = (f"note: {new} holds 1 row with an empty query and 2 with an empty target, the "
                f"first at line 3 ({said}; see the student config's data.empty_text)")
        assert (line in result.stderr.splitlines()) is not quiet, result.stderr
        block = Run.open(out).metrics()["distillation"]["unlabeled"]
        assert block["rows"] == (17 if policy == "drop" else 20)
        assert block["empty_texts"] == {str(new): {
            "empty_query": 1, "empty_target": 2, "first_empty_line": 3,
            "dropped": 3 if policy == "drop" else 0}}


def test_an_unlabeled_file_of_empty_texts_alone_is_refused_under_drop(teachers, tmp_path):
    """data.empty_text: drop leaves such a file no row: refused in one line naming it, as train
    refuses a training file of them."""
    new = tmp_path / "blank.jsonl"
    new.write_text(json.dumps({"id": 1, "origin_query": "q", "category_path": " "}) + "\n",
                   encoding="utf-8")
    config = tmp_path / "student.yaml"
    config.write_text(f"{STUDENT_YAML}data: {{empty_text: drop}}\n", encoding="utf-8")
    result = CliRunner().invoke(main, [
        "distill", str(teachers["run"]), "--student", str(config), "--out", str(tmp_path / "s"),
        "--unlabeled", str(new), "--speed-rows", "0", "--quiet"])
    assert result.exit_code != 0
    assert result.stderr == f"error: {new}: every row was dropped (empty query or target)\n"
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("nested", [False, True])
def test_a_bad_unlabeled_file_is_refused_before_any_model_loads(teachers, student_yaml, tmp_path,
                                                                monkeypatch, nested):
    """`distill --unlabeled FILE` with FILE empty, of the other task or with a bad line loaded
    the teacher first (the default model's encoder: ~30 s), and with --nested refitted it
    (k·(k−1)/2 fits) before reading FILE: now FILE is refused before either."""
    from shoprel.run.folder import Run
    from shoprel.training import distill as distill_module

    def no_work(*args, **kwargs):
        raise AssertionError("a model was loaded or fitted before --unlabeled was checked")

    monkeypatch.setattr(Run, "load_models", no_work)
    monkeypatch.setattr(distill_module, "nested_teacher", no_work)
    empty, bad = tmp_path / "empty.jsonl", tmp_path / "bad.jsonl"
    empty.write_text("", encoding="utf-8")
    bad.write_text(json.dumps({"id": 1, "origin_query": "q", "category_path": "a,b"})
                   + '\n{"id": 2, oops\n', encoding="utf-8")
    for path, said in ((empty, f"{empty}: the file has no rows"),
                       (bad, f"{bad}, line 2: malformed JSON")):
        result = CliRunner().invoke(main, [
            "distill", str(teachers["run"]), "--student", str(student_yaml), "--out",
            str(tmp_path / "s"), "--unlabeled", str(path), "--speed-rows", "0", "--quiet",
            *(["--nested"] if nested else [])])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {said}"), result.stderr
        assert not (tmp_path / "s").exists()


def test_oof_caveat_says_what_the_student_oof_is_worth():
    from shoprel.training.distill import (
        BOTH_CAVEAT,
        LABELS_NOTE,
        LEAK_CAVEAT,
        NESTED_NOTE,
        UNLABELED_CAVEAT,
        oof_caveat,
    )

    assert oof_caveat(0.3, nested=False, unlabeled=False) == LEAK_CAVEAT
    assert oof_caveat(0.3, nested=True, unlabeled=False) == NESTED_NOTE
    assert oof_caveat(1.0, nested=False, unlabeled=False) == LABELS_NOTE
    # teacher-scored pairs come from the teacher's final model, which saw every fold: said as
    # such (the soft targets' caveat pointed at nested, which does not mend it)
    assert oof_caveat(1.0, nested=True, unlabeled=True) == UNLABELED_CAVEAT
    assert oof_caveat(1.0, nested=False, unlabeled=True) == UNLABELED_CAVEAT
    assert oof_caveat(0.3, nested=True, unlabeled=True) == UNLABELED_CAVEAT  # targets mended
    # soft targets of a teacher that saw the folds, and the pairs: both named, not the pairs alone
    assert oof_caveat(0.3, nested=False, unlabeled=True) == BOTH_CAVEAT
    for caveat in (LEAK_CAVEAT, UNLABELED_CAVEAT, BOTH_CAVEAT):  # compare's flag on old runs
        assert caveat.startswith("student OOF is optimistic")


def test_a_student_leaking_two_ways_is_told_both_and_how_to_mend_both(teachers, tmp_path):
    """--unlabeled at --hard-weight 0.3 without --nested: the soft targets came from teacher
    fold models that saw the student's validation rows, and the pairs from its final model.
    The note and metrics.json's caveat named the pairs alone, and said nested and the hard
    weight change nothing, where they mend the soft targets. Both are named, in one line, with
    what mends each; compare's note and its advice say the same (a configs/fast.yaml student of
    a fast teacher's 3 folds)."""
    new = tmp_path / "new.jsonl"  # pairs of new queries, which the teacher scores
    rows = pd.read_json(teachers["data"], lines=True).head(30)
    new.write_text("".join(json.dumps({"id": f"n{i}", "language": r.language,
                                       "origin_query": f"{r.origin_query} new",
                                       "category_path": r.category_path}) + "\n"
                           for i, r in enumerate(rows.itertuples())), encoding="utf-8")
    out = tmp_path / "s"
    result = CliRunner().invoke(main, [
        "distill", str(teachers["run"]), "--student", str(FAST), "--out", str(out),
        "--unlabeled", str(new), "--hard-weight", "0.3", "--speed-rows", "0"])
    assert result.exit_code == 0, result.output
    block = Run.open(out).metrics()["distillation"]
    caveat = block["caveat"]
    assert block["oof_optimistic"] is True
    assert caveat == (
        "student OOF is optimistic: the teacher OOF probability of a training row came from a "
        "teacher model that saw the student's validation rows, and its teacher-scored pairs "
        "(--unlabeled) came from the teacher's final model, which saw the student's validation "
        "rows (distill --nested or --hard-weight 1.0 makes the soft targets honest, not the "
        "pairs: honest ones need a student without --unlabeled too)")
    notes = [line for line in without_bars(result.stderr).splitlines()
             if line.startswith("note: student OOF is optimistic")]
    assert notes == [f"note: {caveat}"]
    done = CliRunner().invoke(main, ["compare", str(teachers["run"]), str(out),
                                     "--out", str(tmp_path / "c.html")])
    assert done.exit_code == 0, done.output
    assert (f"{caveat}: its figures here are optimistic, so a gain over the other runs can "
            "be leak (a student distilled with --nested or --hard-weight 1.0, and without "
            "--unlabeled, gives honest ones)") in done.output


@pytest.mark.parametrize("quiet", [False, True])
def test_quiet_leaves_out_the_caveat_and_the_unused_folds_notes(teachers, student_yaml, tmp_path,
                                                                quiet):
    """Under --quiet both notes still printed, among the results."""
    from shoprel.training.distill import LEAK_CAVEAT

    result = CliRunner().invoke(distill_command, [
        str(teachers["run"]), "--student", str(student_yaml), "--out", str(tmp_path / "s"),
        "--speed-rows", "0", *(["--quiet"] if quiet else [])])
    assert result.exit_code == 0, result.output
    notes = (f"note: {LEAK_CAVEAT}\n"
             "note: the student config's folds (k 7, seed 99) are not used: a student is "
             "cross-validated on its teacher's 3 folds\n")
    assert without_bars(result.stderr) == ("" if quiet else notes)
    assert "note:" not in result.stdout
    assert result.stdout.startswith("teacher OOF: F1 ")
    assert result.stdout.splitlines()[-1] == f"student run written to {tmp_path / 's'}"


@pytest.mark.parametrize("teacher", ["run", "ensemble"])
def test_student_folds_equal_to_the_teachers_are_not_said_unused(teachers, tmp_path, teacher):
    """A preset spelling the teacher's folds (configs/embed-use.yaml spells the defaults) drew
    'folds ... are not used' on every distill; only folds that differ are said."""
    same = tmp_path / "same.yaml"
    same.write_text(STUDENT_YAML.replace("folds: {k: 7, seed: 99}", "folds: {k: 3, seed: 42}"),
                    encoding="utf-8")
    result = distill(teachers[teacher], same, tmp_path / "s", speed_rows=0, progress=False)
    assert "ignored" not in result.metrics["distillation"]
    other = tmp_path / "other.yaml"  # the teacher's k, another seed: said
    other.write_text(STUDENT_YAML.replace("folds: {k: 7, seed: 99}", "folds: {k: 3, seed: 7}"),
                     encoding="utf-8")
    result = distill(teachers[teacher], other, tmp_path / "o", speed_rows=0, progress=False)
    assert result.metrics["distillation"]["ignored"] == [
        "the student config's folds (k 3, seed 7) are not used: a student is cross-validated "
        "on its teacher's 3 folds"]


@pytest.mark.reads_report
def test_compare_and_the_report_say_a_students_figures_are_optimistic(teachers, student_yaml,
                                                                     tmp_path):
    """Soft targets from teachers that saw its validation rows flatter a student: compare
    says so beside any gain over its teacher, and the student's report names the teacher."""
    import re

    from shoprel.evaluate.compare import compare_runs, summary_text
    from shoprel.evaluate.report.compare_page import render_comparison

    student = distill(teachers["run"], student_yaml, tmp_path / "st", hard_weight=0.4,
                      progress=False, speed_rows=0).run_dir
    metrics = json.loads((student / "metrics.json").read_text())
    assert metrics["distillation"]["oof_optimistic"] is True
    comparison = compare_runs([teachers["run"], student])
    said = summary_text(comparison).splitlines()[-1]
    assert said.startswith("note: ") and "a student distilled from a" in said
    assert "optimistic" in said and "leak" in said
    assert "Caveat:" in render_comparison(comparison)
    report = re.sub(r"<[^>]+>", " ", (student / "report.html").read_text(encoding="utf-8"))
    assert "A student distilled from a" in report
    honest = distill(teachers["run"], student_yaml, tmp_path / "st1", hard_weight=1.0,
                     progress=False, speed_rows=0).run_dir
    assert not summary_text(compare_runs([teachers["run"], honest])).splitlines()[-1] \
        .startswith("note: ")


def test_an_ensemble_holding_an_optimistic_student_says_its_figures_are_optimistic(
        teachers, student_yaml, tmp_path):
    """A stack of a run and its leaky student (and an ensemble of that) reported the student's
    leak as its own gain (ROC-AUC 0.74 against members' 0.58 on 800 QC rows), and compare
    called it better with no note: ensemble, its report and compare now say so."""
    from shoprel.cli.ensemble import ensemble
    from shoprel.evaluate.compare import compare_runs, summary_text
    from shoprel.evaluate.report.verdict import member_items

    student = distill(teachers["run"], student_yaml, tmp_path / "st", hard_weight=0.4,
                      progress=False, speed_rows=0).run_dir
    built = CliRunner().invoke(ensemble, [str(teachers["run"]), str(student), "--out",
                                          str(tmp_path / "ens"), "--method", "stack"])
    assert built.exit_code == 0, built.output
    (said,) = [line for line in built.stderr.splitlines() if line.startswith("note: ")]
    assert said.startswith("note: member st is a student distilled from a; ")
    assert "so are the ensemble's OOF figures above" in said
    metrics = json.loads((tmp_path / "ens" / "metrics.json").read_text())
    assert [bool(m.get("optimistic")) for m in metrics["members"]] == [False, True]
    assert "Member st: " in "".join(member_items(metrics))
    # one level further in: an ensemble of that ensemble and the honest other teacher
    outer = CliRunner().invoke(ensemble, [str(tmp_path / "ens"), str(teachers["run"].parent
                                                                     / "b"),
                                          "--out", str(tmp_path / "outer")])
    assert outer.exit_code == 0, outer.output
    note = summary_text(compare_runs([teachers["run"], tmp_path / "outer"])).splitlines()[-1]
    assert note.startswith("note: outer is an ensemble whose OOF figures are optimistic "
                           "through its member ens → st, a student distilled from a; ")
    assert "))" not in note
    honest = CliRunner().invoke(ensemble, [str(teachers["run"]), str(teachers["run"].parent
                                                                     / "b"),
                                           "--out", str(tmp_path / "plain")])
    assert "note:" not in honest.stderr
    plain = json.loads((tmp_path / "plain" / "metrics.json").read_text())
    assert not any("optimistic" in m for m in plain["members"])


def test_a_student_config_key_found_wrong_while_training_names_its_line(teachers, tmp_path):
    path = tmp_path / "student.yaml"
    path.write_text("# a student\nmodel:\n  family: embed\n  params: {backbone: ./nope/model}\n")
    done = CliRunner().invoke(main, ["distill", str(teachers["run"]), "--student", str(path),
                                     "--out", str(tmp_path / "s"), "--quiet"])
    assert done.exit_code == 2
    assert done.stderr.startswith(f"error: {path}: line 4: model.params.backbone './nope/model'"
                                  ": no such folder")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("nested", [True, False])
def test_a_student_augment_cache_inside_out_is_refused_before_any_fit(teachers, tmp_path,
                                                                       monkeypatch, nested):
    """The student's augment.cache (the SQLite file train writes while translating) inside
    --out was refused only by the student's final train, after the teacher's nested refits:
    it is refused before them now, in train's own words, and nothing is written."""
    from shoprel.training import distill as distill_module

    _, table = demo_rows_and_spanish_table(tmp_path)
    out = tmp_path / "s"
    student = tmp_path / "student.yaml"
    student.write_text(STUDENT_YAML + "augment:\n  translate: {pt: es}\n  backend: table\n"
                       f"  table: {table}\n  cache: {out / 'tr.sqlite'}\n", encoding="utf-8")
    monkeypatch.setattr(distill_module, "nested_teacher",
                        lambda *args, **kwargs: pytest.fail("the nested refits ran"))
    monkeypatch.setattr(distill_module, "train",
                        lambda *args, **kwargs: pytest.fail("the student's train ran"))
    done = CliRunner().invoke(main, ["distill", str(teachers["run"]), "--student", str(student),
                                     "--out", str(out), "--quiet",
                                     *(["--nested"] if nested else [])])
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        f"error: {out / 'tr.sqlite'}: lies inside {out}, the run folder being written "
        "(augment.cache); keep the cache outside it"]
    assert not out.exists()


def test_a_teacher_augment_cache_inside_out_is_refused_before_the_nested_refits(
        teachers, student_yaml, tmp_path, monkeypatch):
    """The nested refits write the teacher's augment.cache, as its config.yaml records it.
    Where that lay inside --out, they wrote it there: into the run --out held (its next
    --overwrite then refused: 'holds tr.sqlite, which shoprel did not write there'), or into a
    folder they made (refused 'already exists' once they were done). Refused before them now,
    at the teacher's config line, with nothing written."""
    from shoprel.training import distill as distill_module

    _, table = demo_rows_and_spanish_table(tmp_path)
    out = tmp_path / "c"
    cache = out / "tr.sqlite"  # its folder made by the teacher's train, deleted since
    teacher = train(teachers["data"], tmp_path / "t", load_config(None, {
        **SMALL, "augment.translate": {"pt": "es"}, "augment.backend": "table",
        "augment.table": str(table), "augment.cache": str(cache)}), progress=False).run_dir
    assert cache.is_file()
    cache.unlink()
    out.rmdir()
    line = next(i for i, text in enumerate(
        (teacher / CONFIG).read_text(encoding="utf-8").splitlines(), 1)
        if text.strip().startswith("cache:"))
    monkeypatch.setattr(distill_module, "nested_teacher",
                        lambda *args, **kwargs: pytest.fail("the nested refits ran"))
    refused = [f"error: {teacher / CONFIG}: line {line}: augment.cache (the --nested "
               f"refits of this run write their translations there): {cache}: lies inside "
               f"{out}, the run folder being written (augment.cache); keep the cache outside "
               "it; to name another, edit this line of the run's config.yaml"]
    for there in ("nothing", "a run"):
        if there == "a run":
            distill(teachers["run"], student_yaml, out, progress=False, speed_rows=0)
        before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
        done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student_yaml),
                                         "--out", str(out), "--nested", "--overwrite",
                                         "--quiet"])
        assert done.exit_code == 2, there
        assert done.output.strip().splitlines() == refused, there
        assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    # the run --out holds is still the distill's own to replace
    distill(teachers["run"], student_yaml, out, progress=False, speed_rows=0, overwrite=True)


def test_a_teacher_augment_cache_train_would_refuse_is_refused_before_the_nested_refits(
        teachers, student_yaml, tmp_path, monkeypatch):
    """The nested refits opened the teacher's recorded augment.cache unchecked but for --out.
    Where it had come to lie inside another run since, they wrote it there (that run's next
    `train --overwrite` then refused it: 'holds tr.sqlite, which shoprel did not write
    there'); where it had become a file that is no translation cache, the refusal named the
    bare path, not where it came from. Both are refused before any refit, as train refuses
    them (runner.check_augment_cache), at the teacher's config.yaml line."""
    from shoprel.training import distill as distill_module

    _, table = demo_rows_and_spanish_table(tmp_path)
    other = tmp_path / "other"
    cache = other / "tr.sqlite"
    teacher = train(teachers["data"], tmp_path / "t", load_config(None, {
        **SMALL, "augment.translate": {"pt": "es"}, "augment.backend": "table",
        "augment.table": str(table), "augment.cache": str(cache)}), progress=False).run_dir
    shutil.rmtree(other)
    line = next(i for i, text in enumerate(
        (teacher / CONFIG).read_text(encoding="utf-8").splitlines(), 1)
        if text.strip().startswith("cache:"))
    monkeypatch.setattr(distill_module, "nested_teacher",
                        lambda *args, **kwargs: pytest.fail("the nested refits ran"))
    head = (f"error: {teacher / CONFIG}: line {line}: augment.cache (the --nested refits "
            f"of this run write their translations there): {cache}: ")
    edit = "; to name another, edit this line of the run's config.yaml"
    out = tmp_path / "student"
    for there, said in (
            ("a run", f"lies inside {other}, a folder shoprel wrote (a run, an index or a "
                      f"backbone); writing there would change it; keep the cache outside it{edit}"),
            ("a text file", "not a translation cache (file is not a database); give a new file "
                            f"name or a cache shoprel wrote{edit}")):
        if there == "a run":
            train(teachers["data"], other, load_config(None, SMALL), progress=False)
        else:
            shutil.rmtree(other)
            other.mkdir()
            cache.write_text("not a cache\n", encoding="utf-8")
        before = {p.relative_to(tmp_path).as_posix(): p.stat().st_mtime_ns
                  for p in tmp_path.rglob("*")}
        done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student_yaml),
                                         "--out", str(out), "--nested", "--quiet"])
        assert (done.exit_code, done.output.strip().splitlines()) == (2, [head + said]), there
        assert {p.relative_to(tmp_path).as_posix(): p.stat().st_mtime_ns
                for p in tmp_path.rglob("*")} == before, there
    assert cache.read_text(encoding="utf-8") == "not a cache\n"


def test_a_teacher_whose_model_will_not_load_is_refused_before_any_work(teachers, student_yaml,
                                                                        tmp_path, monkeypatch):
    """Plain distill reads the teacher's OOF table, not its models: a teacher whose
    models/full/lightgbm.txt was cut short had its student trained and written, then the speed
    comparison failed loading it (exit 2). Whatever loads the teacher (the speed comparison,
    --unlabeled) now has it loaded first, and its one line said before any fit; with
    --speed-rows 0 and no --unlabeled nothing loads it, and the student is written."""
    import shutil

    from shoprel.training import distill as distill_module

    teacher = tmp_path / "teacher"
    shutil.copytree(teachers["run"], teacher)
    booster = teacher / "models" / "full" / "lightgbm.txt"
    booster.write_bytes(booster.read_bytes()[:2000])
    unlabeled = tmp_path / "pairs.jsonl"
    unlabeled.write_text(json.dumps({"id": "u1", "language": "en", "origin_query": "red shoes",
                                     "category_path": "Shoes > Red"}) + "\n", encoding="utf-8")
    out = tmp_path / "s"
    with monkeypatch.context() as patched:
        for fails in ("nested_teacher", "train"):
            patched.setattr(distill_module, fails,
                            lambda *args, which=fails, **kwargs: pytest.fail(f"{which} ran"))
        for options in ([], ["--nested", "--unlabeled", str(unlabeled), "--speed-rows", "0"]):
            done = CliRunner().invoke(main, ["distill", str(teacher), "--student",
                                             str(student_yaml), "--out", str(out), "--quiet",
                                             *options])
            assert done.exit_code == 2, options
            assert done.output.strip().splitlines() == [
                f"error: {booster}: the booster file is damaged or cut short (no 'end of trees' "
                "line: the file stops before its trees do); copy the run again from where it "
                "was trained, or train it again"], options
            assert not out.exists()
    done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student_yaml),
                                     "--out", str(out), "--quiet", "--speed-rows", "0"])
    assert done.exit_code == 0, done.output
    assert "speed" not in Run.open(out).metrics()["distillation"]


def test_nested_with_a_two_fold_teacher_is_one_line(tmp_path, student_yaml):
    """Each refit leaves out two folds: of two, no rows; it was a ValueError's traceback."""
    from shoprel.demo import demo_file

    teacher = train(demo_file("QC"), tmp_path / "two", load_config(None, {**SMALL, "folds.k": 2}),
                    progress=False).run_dir
    with pytest.raises(ConfigError, match="--nested: .* has 2 folds.*at least 3 folds"):
        distill(teacher, student_yaml, tmp_path / "student", progress=False, speed_rows=0,
                nested=True)
    assert not (tmp_path / "student").exists()


def test_a_student_section_in_the_student_config_is_said_to_be_unused(teachers, tmp_path):
    """It was dropped silently (the config's folds, dropped too, are said to be)."""
    config = tmp_path / "s.yaml"
    config.write_text(STUDENT_YAML + "student: {model: {family: fast}}\n", encoding="utf-8")
    result = CliRunner().invoke(distill_command, [
        str(teachers["run"]), "--student", str(config), "--out", str(tmp_path / "s"),
        "--speed-rows", "0"])
    assert result.exit_code == 0, result.output
    assert "note: the student config's student section is not used" in result.stderr
    assert not (tmp_path / "s" / STUDENT).exists()


def distilled_on_unlabeled(run, student_yaml, tmp_path, new, bare_rows):
    """`shoprel distill RUN --unlabeled NEW --quiet`'s result, and the languages of the rows
    scored bare as its warning counts them (most rows first, ties by code)."""
    result = CliRunner().invoke(distill_command, [
        str(run), "--student", str(student_yaml), "--out", str(tmp_path / "s"),
        "--unlabeled", str(new), "--speed-rows", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    counts = Counter(r["language"] for r in bare_rows)
    return result, ", ".join(f"{lang} {n}" for lang, n in
                             sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@pytest.mark.filterwarnings("error::UserWarning")
def test_unlabeled_pairs_a_translated_teacher_scores_bare_are_one_warning_line(
        translated_run, student_yaml, tmp_path):
    """predict says so in one `warning:` line; distill printed Python's two-line UserWarning,
    naming neither the file nor how many pairs; then it counted "unlabelled pair(s)" where
    predict counts the same file's rows: both count rows now (cli/bare_query.py)."""
    run, bare = translated_run
    new = tmp_path / "new.jsonl"
    rows = [json.loads(line) for line in bare.read_text(encoding="utf-8").splitlines()][:20]
    new.write_text("".join(json.dumps({**r, "id": f"n{r['id']}", "origin_query":
                                       f"{r['origin_query']} new"}) + "\n" for r in rows),
                   encoding="utf-8")
    # --quiet leaves out the notes, not this warning about what the student learnt from
    result, languages = distilled_on_unlabeled(run, student_yaml, tmp_path, new, rows)
    assert result.stderr == (
        f"warning: the teacher scored 20 rows of {new} on the bare query "
        f"({languages}): it was trained with translations and {new} has no translated_query "
        "column (run `shoprel translate` on it first)\n")


def test_unlabeled_pairs_a_translator_left_empty_are_not_sent_to_translate(
        translated_run, student_yaml, tmp_path):
    """A file with a translated_query column whose rows of some languages are empty (the
    translator had no route from them) was told, like a file without the column, to run
    `shoprel translate` on it, which would leave them empty again; predict says why."""
    run, _ = translated_run
    rows = [json.loads(line) for line in
            (run.parent / "translated.jsonl").read_text(encoding="utf-8").splitlines()][:30]
    emptied = [r for r in rows if r["language"] != "en"][:6]
    new = tmp_path / "partly.jsonl"
    new.write_text("".join(json.dumps({**r, "id": f"n{r['id']}", "origin_query":
                                       f"{r['origin_query']} new", "translated_query":
                                       "" if r in emptied else f"{r['translated_query']} new"})
                           + "\n" for r in rows), encoding="utf-8")
    result, languages = distilled_on_unlabeled(run, student_yaml, tmp_path, new, emptied)
    assert result.stderr == (
        f"warning: the teacher scored 6 rows of {new} on the bare query "
        f"({languages}): it was trained with translations and {new} leaves their "
        "translated_query empty (`shoprel translate` does so where it has no route from a "
        "row's language)\n")


def test_a_member_of_a_teacher_ensemble_is_not_replaced_by_its_student(teachers, student_yaml,
                                                                        tmp_path):
    """--out MEMBER --overwrite replaced the member (the teacher's input), then failed on the
    ensemble it had just broken."""
    import shutil

    from shoprel.ensemble.runner import build_ensemble
    from shoprel.errors import OutputError

    member = tmp_path / "member"
    shutil.copytree(teachers["run"], member)
    build_ensemble([member, teachers["ensemble"] / ".." / "b"], tmp_path / "ens")
    before = sorted((p.relative_to(member), p.read_bytes()) for p in member.rglob("*")
                    if p.is_file())
    with pytest.raises(OutputError, match="member: overlaps .*member, which this command reads"):
        distill(tmp_path / "ens", student_yaml, member, overwrite=True, progress=False,
                speed_rows=0)
    assert sorted((p.relative_to(member), p.read_bytes()) for p in member.rglob("*")
                  if p.is_file()) == before


def test_nested_refit_left_with_one_label_is_one_line(tmp_path, student_yaml, jsonl):
    """Two positives in two of three folds: the teacher trained (each fit lacks one fold),
    but the nested refit without both folds had none, and failed in the model's ValueError
    traceback; now one line naming the folds and the label, before any refit."""
    from shoprel.demo import demo_file

    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()]
    rows = [r for r in rows if r["label"] == 0][:30] + [r for r in rows if r["label"] == 1][:2]
    data = jsonl(tmp_path / "tiny.jsonl", rows)
    teacher = train(data, tmp_path / "t", load_config(None, {**SMALL, "model.params.n_features":
                                                             2**12}), progress=False).run_dir
    folds = pd.read_parquet(teacher / "folds.parquet").set_index("id")["fold"]
    f, g = sorted(folds.loc[[r["id"] for r in rows[30:]]])
    left = sum(1 for r in rows if folds.loc[r["id"]] not in (f, g))
    result = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student_yaml),
                                       "--out", str(tmp_path / "s"), "--nested", "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: --nested: the teacher refit without folds {f} and {g} of {teacher} would "
        f"train on {left} row(s) of one label: all 2 row(s) labelled 1 of {data} fall into "
        "those two folds; give more rows labelled 1, or distill without --nested\n")
    assert not (tmp_path / "s").exists()


TEACHER_AGAIN_YAML = """# the teacher's own model
model:
  family: fast
  params: {n_features: 65536, n_estimators: 30, n_jobs: 1}
"""


def test_a_student_that_is_the_teacher_again_is_refused_before_any_work(teachers, tmp_path):
    """distill RUN --student FILE --hard-weight 1 with the run's own model retrained the run
    (same AUC and F1); train --student refuses that student, distill now does too."""
    config = tmp_path / "again.yaml"
    config.write_text(TEACHER_AGAIN_YAML, encoding="utf-8")
    out = tmp_path / "s"
    done = CliRunner().invoke(main, ["distill", str(teachers["run"]), "--student", str(config),
                                     "--out", str(out), "--hard-weight", "1", "--quiet"])
    assert done.exit_code == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {config}: line 2: model: the student would be the model of "
                           f"{teachers['run']} again (fast, the labels alone")
    assert "--hard-weight below 1" in line
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["again.yaml"]


def test_the_teachers_own_model_learning_unlabelled_pairs_too_is_not_refused(teachers,
                                                                           tmp_path):
    """With --unlabeled, the teacher's own model at --hard-weight 1 also learns the pairs the
    teacher scored (self-training): another training side, yet it was refused as "the model of
    RUN again (..., the same rows and folds)"."""
    from shoprel.data.readers import read_pairs

    config = tmp_path / "again.yaml"
    config.write_text(TEACHER_AGAIN_YAML, encoding="utf-8")
    unlabeled = tmp_path / "new.jsonl"
    with open(unlabeled, "w", encoding="utf-8") as fh:
        for r in read_pairs(teachers["data"]).df.head(20).itertuples():
            fh.write(json.dumps({"id": f"t{r.id}", "language": r.language,
                                 "origin_query": f"{r.query} new",
                                 "category_path": r.target}) + "\n")
    result = distill(teachers["run"], config, tmp_path / "s", hard_weight=1.0, progress=False,
                     speed_rows=0, unlabeled=[unlabeled])
    assert result.metrics["distillation"]["unlabeled"]["rows"] == 20
    with pytest.raises(ConfigError, match="the student would be the model of"):
        distill(teachers["run"], config, tmp_path / "s2", hard_weight=1.0, progress=False,
                speed_rows=0)  # without them: the run again, refused as before


def test_a_student_repeating_its_teachers_whole_training_side_is_refused(teachers, tmp_path):
    """A teacher trained with easy negatives and inner-fold noise flags, and a student config
    repeating its model and both: distill trained the teacher's model again, unrefused, as the
    check compared the student without its training side."""
    from shoprel.training.distill import open_teacher, student_config
    from shoprel.training.student import check_distilled_student_differs

    side = {"augment.easy_negatives": 1.0, "noise.inner_folds": 2}
    teacher = train(teachers["data"], tmp_path / "t", load_config(None, {**SMALL, **side}),
                    progress=False).run_dir
    again = {**SMALL, **side}
    config = student_config(load_config(None, again), open_teacher(teacher), 3)
    with pytest.raises(ConfigError, match=f"the student would be the model of {teacher} again"):
        check_distilled_student_differs(teacher, config, 1.0)
    for other in ({**again, "noise.inner_folds": 3}, {**SMALL, "augment.easy_negatives": 1.0}):
        config = student_config(load_config(None, other), open_teacher(teacher), 3)
        check_distilled_student_differs(teacher, config, 1.0)  # another training side


@pytest.mark.parametrize(("yaml", "hard_weight", "teacher"), [
    (TEACHER_AGAIN_YAML, 0.5, "run"),  # learns the teacher's OOF probabilities too
    (STUDENT_YAML, 1.0, "run"),  # another model (stack: false)
    (TEACHER_AGAIN_YAML + "augment: {easy_negatives: 1.0}\n", 1.0, "run"),  # another side
    (TEACHER_AGAIN_YAML, 1.0, "ensemble"),  # no single model to repeat
])
def test_a_student_that_differs_from_its_teacher_is_not_refused(teachers, yaml, hard_weight,
                                                               teacher, tmp_path):
    from shoprel.training.distill import open_teacher, student_config
    from shoprel.training.student import check_distilled_student_differs

    path = tmp_path / "s.yaml"
    path.write_text(yaml, encoding="utf-8")
    config = student_config(load_config(path), open_teacher(teachers[teacher]), 3)
    check_distilled_student_differs(teachers[teacher], config, hard_weight)
    if teacher == "run" and hard_weight < 1.0:  # the same model, the labels alone: refused
        with pytest.raises(ConfigError, match="the student would be the model of"):
            check_distilled_student_differs(teachers[teacher], config, 1.0)


def test_the_nested_teacher_bar_names_the_step_each_refit_is_at(teachers, student_yaml,
                                                                 tmp_path, monkeypatch, capsys):
    """distill --nested refits every teacher model k(k-1)/2 times under a 'nested teacher' bar
    that said nothing of the fit it waited for (an embed refit is minutes): its line now names
    the two folds left out, the model and its step, as train's folds bar does, and counts one
    step per pair of folds; --quiet draws none."""
    from shoprel.data.readers import read_pairs
    from shoprel.demo import demo_file
    from shoprel.training import distill as distill_module
    from shoprel.training import runner
    from shoprel.utils.progress import report_step

    class NamesItsSteps:
        def fit(self, rows):
            report_step("boosters 1/3")
            return self

        def predict_proba(self, rows):
            return np.full((len(rows), 2), 0.5)

    frame = read_pairs(demo_file("QC"))
    config = load_config(None, SMALL)
    monkeypatch.setattr(distill_module, "teacher_specs",
                        lambda teacher, rows: [distill_module.TeacherModel(config, 1.0)] * 2)
    with monkeypatch.context() as patched:
        patched.setattr(runner, "new_model", lambda config, start_from=None: NamesItsSteps())
        patched.setenv("COLUMNS", "200")  # a log this wide keeps every prefix and step whole
        distill_module.nested_teacher(None, frame, np.arange(len(frame)) % 3, progress=True)
    drawn = [line.rstrip() for line in capsys.readouterr().err.replace("\n", "\r").split("\r")]
    bar = [line for line in drawn if line.startswith("nested teacher:")]
    for f, g in ((0, 1), (0, 2), (1, 2)):  # numbered as folds.parquet and --nested's errors do
        for model in (1, 2):
            named = f"without folds {f} and {g}, model {model}/2: "
            steps = [line.rsplit(named, 1)[1][:-1] for line in bar if named in line]
            assert steps == ["fitting", "boosters 1/3", "scoring held-out rows"], bar
    assert any(line.endswith(", without folds 0 and 1, model 1/2: fitting]")
               for line in bar), bar
    assert not any(f"without folds {f} and {g}" in line for line in bar for f, g in
                   ((1, 0), (2, 0), (2, 1))), bar  # each pair once
    assert bar[-1].startswith("nested teacher: 3/3 [") and "folds" not in bar[-1], bar[-1]
    assert " 3/3 [" in bar[-1], bar[-1]  # the bar's total: k(k-1)/2 pairs, k(k-1) before

    result = CliRunner().invoke(main, ["distill", str(teachers["run"]), "--student",
                                       str(student_yaml), "--out", str(tmp_path / "s"),
                                       "--nested", "--speed-rows", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "nested teacher" not in result.output and "without folds" not in result.output
    assert "booster" not in result.output


def test_hard_weight_one_says_the_teacher_teaches_nothing_and_refuses_nested(
        teachers, student_yaml, tmp_path):
    """At --hard-weight 1 a labelled row's target is its label: without --unlabeled the teacher
    taught nothing and distill did not say so; --nested ran k·(k−1) teacher refits whose
    scores no target took. The help gives the measured figures a user chooses by."""
    from shoprel.training.distill import LABELS_NOTE

    args = [str(teachers["run"]), "--student", str(student_yaml), "--hard-weight", "1",
            "--speed-rows", "0"]
    nested = CliRunner().invoke(main, ["distill", *args, "--out", str(tmp_path / "n"),
                                       "--nested"])
    assert (nested.exit_code, nested.output) == (2, (
        "error: --nested: at --hard-weight 1 every labelled row's target is its label, which "
        "the teacher's refits would not change; drop --nested, or give --hard-weight below 1\n"))
    assert not (tmp_path / "n").exists()
    import shoprel

    with pytest.raises(ConfigError) as called:  # in Python's words
        shoprel.distill_student(teachers["run"], student_yaml, tmp_path / "n", hard_weight=1,
                                nested=True)
    assert str(called.value) == ("nested=True: at hard_weight 1 every labelled row's target is "
                                 "its label, which the teacher's refits would not change; drop "
                                 "nested=True, or give hard_weight below 1")
    done = CliRunner().invoke(distill_command, [*args, "--out", str(tmp_path / "s")])
    assert done.exit_code == 0, done.output
    assert without_bars(done.stderr).splitlines() == [
        "note: --hard-weight 1 without --unlabeled: every target is the row's 0/1 label, so the "
        "teacher teaches the student nothing (it lends its folds and its figures to compare)",
        f"note: {LABELS_NOTE}",
        "note: the student config's folds (k 7, seed 99) are not used: a student is "
        "cross-validated on its teacher's 3 folds"]
    shown = CliRunner().invoke(distill_command, ["--help"], terminal_width=1000).output
    assert ("ranked better at 1.0: ROC-AUC 0.7463 against 0.7345 at 0.3 (1,897 pairs), 0.7255 "
            "against 0.7177 (another split), 0.7427 against 0.7354 with --unlabeled (960 pairs)"
            ) in shown
    # the fast student measured since, for which the default stays 0.3 (it said "no other
    # student was measured so")
    assert ("a fast student of the default ranked as well or better at 0.3: 0.6779 against "
            "0.6744, 0.6766 against 0.6710 with --unlabeled (960 pairs; docs/measurements-qc.md)"
            ) in shown and "[default: 0.3;" in shown


@pytest.mark.parametrize("quiet", [False, True])
def test_a_student_of_the_teachers_own_model_below_one_is_one_note_first(teachers, tmp_path,
                                                                         quiet):
    """`distill FASTRUN --student configs/fast.yaml` at hard_weight 0.3 ran without a word,
    though on new queries such a student ranked below its teacher (docs/measurements-qc.md)."""
    from shoprel.training.student import own_model_note

    config = tmp_path / "again.yaml"
    config.write_text(TEACHER_AGAIN_YAML, encoding="utf-8")
    done = CliRunner().invoke(main, ["distill", str(teachers["run"]), "--student", str(config),
                                     "--out", str(tmp_path / "s"), "--hard-weight", "0.3",
                                     "--speed-rows", "0", *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    lines = without_bars(done.stderr).splitlines()
    said = own_model_note(teachers["run"], load_config(config))
    assert said.startswith(f"the student is the model of {teachers['run']} (fast) learning from "
                           "its out-of-fold probabilities: on new queries such a student ranked "
                           "below its teacher (fast from fast at --hard-weight 0.3: ROC-AUC "
                           "0.6664 and 0.6542 against 0.6744 and 0.6766")
    assert lines == ([] if quiet else [f"note: {said}", *lines[1:]])
    assert all(said not in line for line in lines[1:])


@pytest.mark.parametrize("progress", [True, False])
def test_distill_student_says_the_commands_notes_in_python_words(teachers, student_yaml,
                                                                 tmp_path, capsys, progress):
    """distill_student said none of the notes `shoprel distill` prints before the work (the
    command passes distill a `say`, the API passed none): not that a student of the teacher's
    own model ranked below its teacher, nor that at hard_weight 1 the teacher teaches
    nothing. They are written on stderr as train writes its small-folds note, in Python's
    words, and progress=False silences them as it silences train's. The command keeps its
    words (the tests above read its lines)."""
    import shoprel
    from shoprel.training.distill import TEACHES_NOTHING
    from shoprel.training.student import own_model_note

    config = tmp_path / "again.yaml"
    config.write_text(TEACHER_AGAIN_YAML, encoding="utf-8")
    shoprel.distill_student(teachers["run"], config, tmp_path / "own", hard_weight=0.3,
                            speed_rows=0, progress=progress)
    shoprel.distill_student(teachers["run"], student_yaml, tmp_path / "labels", hard_weight=1,
                            speed_rows=0, progress=progress)
    notes = [line for line in without_bars(capsys.readouterr().err).splitlines()
             if line.startswith("note: ")]
    own = own_model_note(teachers["run"], load_config(config))
    assert "at --hard-weight 0.3:" in own and "give --student another model" in own
    assert TEACHES_NOTHING.startswith("--hard-weight 1 without --unlabeled: ")
    assert notes == ([
        "note: " + own.replace("at --hard-weight 0.3:", "at hard_weight=0.3:").replace(
            "give --student another model", "give student another model"),
        "note: " + TEACHES_NOTHING.replace("--hard-weight 1 without --unlabeled: ",
                                           "hard_weight=1 without unlabeled: ")]
        if progress else [])
    assert not any("--" in note for note in notes)


def test_a_student_that_calls_every_row_relevant_is_said_so(teachers, student_yaml, tmp_path):
    """train --student says when its student calls every row relevant (its F1 is then the
    all-positive answer's, which read as better than the run's); distill said nothing of its
    student doing the same, on its line nor in the result's metrics. A fixed threshold of 0
    makes the fast student call every row relevant; one cut at 0.65 does not, and is not said
    to (on the demo rows, near chance, even the best out-of-fold cut calls every row relevant)."""
    import shoprel

    said = "it calls every row relevant, so its F1 is the all-positive answer's, not a model's"
    config = tmp_path / "all.yaml"
    config.write_text(STUDENT_YAML + "threshold: {mode: fixed, value: 0.0}\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["distill", str(teachers["run"]), "--student", str(config),
                                     "--out", str(tmp_path / "s"), "--speed-rows", "0",
                                     "--quiet"])
    assert done.exit_code == 0, done.output
    line = next(line for line in done.stdout.splitlines() if line.startswith("student OOF:"))
    assert line.endswith(f"; {said}")
    assert said not in next(line for line in done.stdout.splitlines()
                            if line.startswith("teacher OOF:"))
    block = Run.open(tmp_path / "s").metrics()["distillation"]
    assert block["student_oof"]["predicted_positive_rate"] == 1.0
    assert block["all_relevant"] == said
    result = shoprel.distill_student(teachers["run"], config, tmp_path / "p", speed_rows=0,
                                     progress=False)
    assert result.metrics["distillation"]["all_relevant"] == said
    half = tmp_path / "half.yaml"
    half.write_text(STUDENT_YAML + "threshold: {mode: fixed, value: 0.65}\n", encoding="utf-8")
    cut = shoprel.distill_student(teachers["run"], half, tmp_path / "cut", speed_rows=0,
                                  progress=False).metrics["distillation"]
    assert cut["student_oof"]["predicted_positive_rate"] < 1.0 and "all_relevant" not in cut


def test_no_own_model_note_for_another_model_nor_an_ensemble(teachers, student_yaml, tmp_path):
    config = tmp_path / "again.yaml"
    config.write_text(TEACHER_AGAIN_YAML, encoding="utf-8")
    heard = []
    for teacher, yaml_file in (("run", student_yaml), ("ensemble", config)):
        distill(teachers[teacher], yaml_file, tmp_path / teacher, hard_weight=0.3,
                progress=False, speed_rows=0, say=heard.append)
    assert heard == []
    distill(teachers["run"], config, tmp_path / "again", hard_weight=0.3, progress=False,
            speed_rows=0, say=heard.append)
    assert [line.split(" learning")[0] for line in heard] == [
        f"the student is the model of {teachers['run']} (fast)"]


def test_a_nested_refit_tags_its_copies_as_the_run_recorded_them(tmp_path, qc_demo):
    """augment.translate {pt-BR: es} tagged its copies 'pt' until they were tagged 'pt-BR':
    distill --nested refitted such an older run (its config.yaml the same) with 'pt-BR'
    copies, a language code its own models never saw. The refit tags them as the run's
    metrics.json recorded them; a run that recorded pt-BR keeps pt-BR."""
    from shoprel.data.readers import read_pairs
    from shoprel.training.distill import open_teacher, teacher_specs
    from shoprel.training.runner import training_side

    frame = read_pairs(qc_demo)
    spanish = frame.df.loc[frame.df["language"] == "es", "query"].unique()
    table = tmp_path / "table.jsonl"
    table.write_text("".join(json.dumps({"text": q, "source": "es", "target": "pt",
                                         "translation": f"pt {q}"}) + "\n" for q in spanish))
    config = load_config(None, {**SMALL, "augment.translate": {"pt-BR": "es"},
                                "augment.backend": "table", "augment.table": str(table)})
    run = train(qc_demo, tmp_path / "run", config, progress=False).run_dir

    def refit_copy_tags() -> set:
        [spec] = teacher_specs(open_teacher(run), frame)
        with training_side(spec.config, False, frame) as side:
            rows = side(frame).df
        return set(rows.loc[rows["augmented"], "language"])

    assert refit_copy_tags() == {"pt-BR"}
    metrics = json.loads((run / METRICS).read_text())
    assert metrics["data"]["translated_rows"] == {"pt-BR": 45}
    metrics["data"]["translated_rows"] = {"pt": 45}  # as an older run recorded its copies
    (run / METRICS).write_text(json.dumps(metrics))
    assert refit_copy_tags() == {"pt"}


def test_a_changed_training_file_is_refused_naming_ids_as_it_writes_them(student_yaml,
                                                                          tmp_path):
    """distill named a row of an edited training file as the run keeps its id (id 5 for the
    file's "00005"), where noise names it as the file writes it: a user searching the file
    for it found another row, or none. It now names it as noise does, for a row relabelled
    and for a row the file gained."""
    from shoprel.demo import demo_file

    rows = [json.loads(line) for line in
            demo_file("QC").read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        row["id"] = f"{int(row['id']):05d}"
    lines = [json.dumps(r) + "\n" for r in rows]
    data = tmp_path / "qc.jsonl"
    data.write_text("".join(lines), encoding="utf-8")
    with reports_deferred():
        train(data, tmp_path / "run", load_config(None, SMALL), progress=False)
    relabelled = {**rows[4], "label": 1 - rows[4]["label"]}
    gained = {**rows[0], "id": "07777"}
    for edited, message in (
            ([*lines[:4], json.dumps(relabelled) + "\n", *lines[5:]],
             f"1 row.* differ .*e.g. id '{rows[4]['id']}'\\)"),
            ([*lines[:-1], json.dumps(gained) + "\n"], "1 not in the run, e.g. id '07777'\\)")):
        data.write_text("".join(edited), encoding="utf-8")
        with pytest.raises(RunDirError, match=message):
            distill(tmp_path / "run", student_yaml, tmp_path / "s", progress=False,
                    speed_rows=0)
