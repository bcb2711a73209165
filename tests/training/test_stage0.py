"""Stage 0 (cross-task pre-training): one model fitted on the other task's file, then every fold
model and the final model start from it."""

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shoprel.errors import ConfigError, InputError, RunDirError
from shoprel.models import base, registry
from shoprel.models.base import RelevanceModel
from shoprel.models.config import FamilyConfig
from shoprel.models.registry import model_class
from shoprel.run.folder import Run
from shoprel.run.layout import METRICS, MODELS, OOF
from shoprel.training import runner
from shoprel.training.config_reading import load_config

# what these tests read is models, weights and metrics, never a report: seconds of charts a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


class WarmConfig(FamilyConfig):
    epochs: int = 1
    tag: str = "main"


class WarmStart(RelevanceModel):
    """A stand-in for a fine-tuned family: remembers what it started from and what it fitted.
    A plug-in family as any would be written: a config class, _fit, _positive, state."""

    family = "warmtest"
    config_class = WarmConfig

    def start_from(self, folder):
        saved = json.loads((Path(folder) / base.MODEL_CONFIG).read_text())
        self._start = {"tag": saved["params"]["tag"], "epochs": saved["params"]["epochs"],
                       **saved["state"]}
        return self

    def _fit(self, frame, config):
        self.rows_, self.rate_ = len(frame), float(frame.labels.mean())
        self.start_ = getattr(self, "_start", None)
        self.after_fit(frame)

    def after_fit(self, frame):
        """Nothing; tests replace it to watch or add to every fit."""

    def _positive(self, frame):
        return self.rate_ + frame.df["query"].str.len().to_numpy() % 7 / 100

    def _state(self):
        return {"rows": self.rows_, "rate": self.rate_, "start": self.start_}

    def _restore(self, state, folder):
        self.rows_, self.rate_, self.start_ = state["rows"], state["rate"], state["start"]


@pytest.fixture
def warm_family(monkeypatch):
    monkeypatch.setitem(registry.FAMILIES, WarmStart.family, WarmStart)
    return WarmStart.family


def test_every_model_starts_from_the_stage0_model(tmp_path, warm_family, qc_demo, qi_demo):
    config = load_config(None, {"model.family": warm_family, "folds.k": 3,
                                "stage0.data": str(qi_demo),
                                "stage0.params": {"epochs": 3, "tag": "stage0"}})
    result = runner.train(qc_demo, tmp_path / "run", config, progress=False)
    models = result.run_dir / MODELS
    assert sorted(p.name for p in models.iterdir()) == ["fold_0", "fold_1", "fold_2", "full",
                                                        "stage0"]
    stage0 = json.loads((models / "stage0" / base.MODEL_CONFIG).read_text())
    # overrides applied to stage 0 only
    assert (stage0["params"]["epochs"], stage0["params"]["tag"]) == (3, "stage0")
    assert stage0["state"]["task"] == "QI" and stage0["state"]["rows"] == 360
    for name in ("fold_0", "fold_1", "fold_2", "full"):
        saved = json.loads((models / name / base.MODEL_CONFIG).read_text())
        assert (saved["params"]["epochs"], saved["params"]["tag"]) == (1, "main")
        assert saved["state"]["task"] == "QC"
        assert saved["state"]["start"]["tag"] == "stage0"
        assert saved["state"]["start"]["rows"] == 360
    assert json.loads((models / "full" / base.MODEL_CONFIG).read_text())["state"]["rows"] == 360
    info = result.metrics["stage0"]
    assert info["task"] == "QI" and info["train_rows"] == 360 and info["seconds"] >= 0
    assert info["train_file"] == str(qi_demo.resolve()) and info["params"]["epochs"] == 3
    assert info["train_sha256"] == hashlib.sha256(qi_demo.read_bytes()).hexdigest()
    assert json.loads((result.run_dir / METRICS).read_text())["stage0"] == info
    assert Run.open(result.run_dir).manifest["predict_models"] == ["full"]


def test_without_stage0_nothing_starts_from_anything(tmp_path, warm_family, qc_demo):
    config = load_config(None, {"model.family": warm_family, "folds.k": 2})
    result = runner.train(qc_demo, tmp_path / "run", config, progress=False)
    assert not (result.run_dir / MODELS / "stage0").exists()
    assert "stage0" not in result.metrics
    saved = json.loads((result.run_dir / MODELS / "full" / base.MODEL_CONFIG).read_text())
    assert saved["state"]["start"] is None


def test_a_family_that_cannot_start_from_a_model_is_refused(qi_demo):
    assert not model_class("fast").supports_start_from()
    with pytest.raises(ConfigError, match=r"stage0\.data: family fast cannot start"):
        load_config(None, {"model.family": "fast", "stage0.data": str(qi_demo)})
    with pytest.raises(ConfigError, match=r"stage0\.data: family embed cannot start") as refused:
        load_config(None, {"stage0.data": str(qi_demo)})  # the default family
    # every family that can, the bi-encoder among them (the message once named cross, llm)
    assert str(refused.value).endswith("fine-tunes weights (biencoder, cross, llm)")
    with pytest.raises(ConfigError, match="family fast cannot start from a stage-0 model"):
        model_class("fast")().start_from(qi_demo.parent)


def test_stage0_params_are_checked_against_the_family(warm_family, qi_demo):
    assert model_class(warm_family).supports_start_from()
    with pytest.raises(ConfigError, match=r"stage0\.params\.epoch: unknown key"):
        load_config(None, {"model.family": warm_family, "stage0.data": str(qi_demo),
                           "stage0.params": {"epoch": 2}})
    with pytest.raises(ConfigError, match="without stage0.data"):
        load_config(None, {"model.family": warm_family, "stage0.params": {"epochs": 2}})


@pytest.mark.parametrize("refused", ["pair", "share"])
def test_a_refused_translation_pair_or_curve_share_fits_no_stage0(tmp_path, warm_family,
                                                                  qc_demo, qi_demo, monkeypatch,
                                                                  refused):
    """train fitted stage 0 before checking the augment.translate pairs (and the learning
    curve's shares), so a refused one came after that fit, though both promise a refusal
    before any fit; the checks now come first and nothing is fitted."""
    fitted = []
    monkeypatch.setattr(WarmStart, "after_fit", lambda self, frame: fitted.append(len(frame)))
    table = tmp_path / "t.jsonl"  # es -> pt: a pair asking for es -> de has no route
    table.write_text(json.dumps({"text": "zapatos", "source": "es", "target": "pt",
                                 "translation": "sapatos"}) + "\n", encoding="utf-8")
    overrides = {"model.family": warm_family, "folds.k": 2, "stage0.data": str(qi_demo)}
    pair = {"augment.translate": {"de": "es"}, "augment.backend": "table",
            "augment.table": str(table)}
    with pytest.raises(ConfigError, match="no route es -> de" if refused == "pair" else
                       "0.9999 keeps every"):
        runner.train(qc_demo, tmp_path / "run",
                     load_config(None, {**overrides, **pair} if refused == "pair" else overrides),
                     progress=False, curve_fractions=[0.9999] if refused == "share" else None)
    assert fitted == [] and not (tmp_path / "run").exists()
    runner.train(qc_demo, tmp_path / "run", load_config(None, overrides), progress=False)
    assert fitted[0] == 360 and len(fitted) == 4  # stage 0 on the QI rows, 2 folds, the full fit


def test_missing_stage0_file_leaves_no_run(tmp_path, warm_family, qc_demo):
    config = load_config(None, {"model.family": warm_family, "folds.k": 2,
                                "stage0.data": str(tmp_path / "missing.txt")})
    with pytest.raises(Exception, match="missing.txt"):
        runner.train(qc_demo, tmp_path / "run", config, progress=False)
    assert not (tmp_path / "run").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def demo_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def fits_counted(warm_family, monkeypatch):
    """The row count of every fit the stand-in family makes."""
    fitted = []
    monkeypatch.setattr(WarmStart, "after_fit", lambda self, frame: fitted.append(len(frame)))
    return fitted


@pytest.mark.parametrize("named", ["itself", "symlink", "hardlink"])
def test_stage0_on_the_training_file_itself_is_refused(tmp_path, fits_counted, qc_demo, jsonl,
                                                       named):
    """train accepted the training file as stage0.data: stage 0 learnt every validation fold's
    labels and the out-of-fold figures came out optimistic. The file itself, under any of its
    names, is now refused before any fit and before the run folder."""
    train_file = jsonl(tmp_path / "train.jsonl", demo_rows(qc_demo)[:120])
    stage0 = {"itself": train_file, "symlink": tmp_path / "link.jsonl",
              "hardlink": tmp_path / "hard.jsonl"}[named]
    if named == "symlink":
        stage0.symlink_to(train_file)
    elif named == "hardlink":
        stage0.hardlink_to(train_file)
    config = load_config(None, {"model.family": WarmStart.family, "folds.k": 2,
                                "stage0.data": str(stage0)})
    with pytest.raises(ConfigError) as refused:
        runner.train(train_file, tmp_path / "run", config, progress=False)
    assert str(refused.value) == (
        f"stage0.data: {stage0} is the training file itself: stage 0 would learn the label of "
        "every row the folds validate on, and the out-of-fold figures would be optimistic; "
        "give it the other task's file")
    assert fits_counted == [] and not (tmp_path / "run").exists()


def test_a_same_task_stage0_sharing_pairs_is_refused(tmp_path, fits_counted, qc_demo, jsonl):
    """Another file of the run's task is refused when it holds any of the training file's
    pairs (each is validated on in one fold), whatever its ids and the case and spacing of its
    texts; one holding none of them is fitted on."""
    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:200])
    shared = [{**row, "id": 9000 + i, "origin_query": f"  {row['origin_query'].upper()} "}
              for i, row in enumerate(rows[170:200])]
    overlapping = jsonl(tmp_path / "overlapping.jsonl", rows[200:] + shared)
    config = load_config(None, {"model.family": WarmStart.family, "folds.k": 2,
                                "stage0.data": str(overlapping)})
    with pytest.raises(ConfigError) as refused:
        runner.train(train_file, tmp_path / "run", config, progress=False)
    first = rows[170]
    assert str(refused.value) == (
        f"stage0.data: {overlapping} shares 30 QC pair(s) with the training file {train_file} "
        f"(first: {first['origin_query'].lower()!r} / {first['category_path'].lower()!r}), "
        "each validated on in one fold: stage 0 would have learnt their labels, and the "
        "out-of-fold figures would be optimistic; leave them out of the stage-0 file")
    assert fits_counted == [] and not (tmp_path / "run").exists()

    apart = jsonl(tmp_path / "apart.jsonl", rows[200:])
    config = load_config(None, {"model.family": WarmStart.family, "folds.k": 2,
                                "stage0.data": str(apart)})
    result = runner.train(train_file, tmp_path / "run", config, progress=False)
    assert fits_counted == [160, 100, 100, 200]  # stage 0, two folds, the full fit
    assert result.metrics["stage0"]["task"] == "QC"


def test_cross_fold_models_start_from_the_stage0_weights(tmp_path, qc_demo, qi_demo, jsonl,
                                                          tiny_backbone):
    """With a near-zero learning rate after stage 0, fold models keep stage 0's encoder."""
    pytest.importorskip("torch")
    from safetensors.numpy import load_file

    from shoprel.data.readers import read_pairs

    files, texts = {}, []
    for task, source in (("QC", qc_demo), ("QI", qi_demo)):
        rows = [json.loads(x) for x in source.read_text(encoding="utf-8").splitlines()][:40]
        files[task] = jsonl(tmp_path / f"{task}.jsonl", rows)
        frame = read_pairs(files[task])
        texts += frame.df["query"].tolist() + frame.df["target"].tolist()
    backbone = tiny_backbone(tmp_path / "tiny", texts)
    config = load_config(None, {
        "folds.k": 2, "model.family": "cross",
        "model.params": {"backbone": str(backbone), "batch_size": 8, "max_steps": 2,
                         "learning_rate": 1e-12, "n_threads": 1, "max_length": 48,
                         "cache_dir": str(tmp_path / "cache")},
        "stage0.data": str(files["QI"]),
        "stage0.params": {"learning_rate": 1e-2, "max_steps": 5}})
    result = runner.train(files["QC"], tmp_path / "run", config, progress=False)
    models = result.run_dir / MODELS

    def encoder(name):
        return load_file(str(next((models / name).rglob("model.safetensors"))))

    key = next(k for k in encoder("stage0") if "layer.0.attention.self.query.weight" in k)
    start = load_file(str(backbone / "model.safetensors"))
    plain_key = next(k for k in start if k.endswith("layer.0.attention.self.query.weight"))
    stage0 = encoder("stage0")[key]
    assert not np.allclose(stage0, start[plain_key], atol=1e-4)  # stage 0 learned something
    for name in ("fold_0", "fold_1", "full"):
        np.testing.assert_allclose(encoder(name)[key], stage0, atol=1e-6)
    assert result.metrics["stage0"]["task"] == "QI" and result.metrics["stage0"]["train_rows"] == 40


def test_stage0_progress_line_goes_to_stderr(tmp_path, warm_family, qi_demo, capsys):
    """'stage 0: fitting ...' was printed on stdout, among train's results; it is progress."""
    config = load_config(None, {"model.family": warm_family, "stage0.data": str(qi_demo)})
    runner.fit_stage0(config, tmp_path, progress=True)
    printed = capsys.readouterr()
    assert "stage 0: fitting warmtest on" in printed.err and "stage 0" not in printed.out


def test_a_stage0_fit_from_a_broken_backbone_is_warned_of(tmp_path, warm_family, qc_demo,
                                                          qi_demo, monkeypatch):
    """Only the stage-0 fit loads the backbone itself (the folds start from its model), so
    the encoder weights it lacked are kept in metrics' stage0 block, and `shoprel train`
    warns of them as of a fold's."""
    from shoprel.evaluate.console import missing_encoder_line

    def fit_noting(self, frame):
        self.train_stats_ = {"missing_encoder_weights": [] if self.start_ else ["enc.w"]}

    monkeypatch.setattr(WarmStart, "after_fit", fit_noting)
    config = load_config(None, {"model.family": warm_family, "folds.k": 2,
                                "stage0.data": str(qi_demo)})
    metrics = runner.train(qc_demo, tmp_path / "run", config, progress=False).metrics
    assert metrics["stage0"]["missing_encoder_weights"] == ["enc.w"]
    assert all(f["missing_encoder_weights"] == [] for f in metrics["fine_tuning"])
    assert missing_encoder_line(metrics) == (
        "warning: model.params.backbone (default) lacks 1 encoder weight(s) (enc.w), which "
        "started random: a broken checkpoint? the run's models were fine-tuned from those "
        "random weights")


def nested_refit_starts(tmp_path, teacher_overrides, qc_demo, monkeypatch,
                        after_training=None):
    """The start of every teacher refit a nested distill makes (the student is `fast`: every
    warm-start fit during the distill is one), and the distillation block; `after_training`
    is called between the teacher's training and the distill."""
    config = load_config(None, {"model.family": WarmStart.family, "folds.k": 3,
                                **teacher_overrides})
    teacher = runner.train(qc_demo, tmp_path / "teacher", config, progress=False).run_dir
    if after_training is not None:
        after_training()
    return (teacher, *nested_distill(teacher, tmp_path / "student", monkeypatch))


def nested_distill(teacher, out, monkeypatch, **options):
    """The start of every teacher refit a nested distill of `teacher` into `out` makes (with
    distill's `options`), and the distillation block."""
    from shoprel.training.distill import distill

    starts = []
    monkeypatch.setattr(WarmStart, "after_fit",
                        lambda self, frame: starts.append((len(frame), self.start_)))
    student = load_config(None, {"model.family": "fast", "model.params.n_estimators": 10,
                                 "model.params.n_jobs": 1})
    result = distill(teacher, student, out, hard_weight=0.3, progress=False, speed_rows=0,
                     nested=True, **options)
    return starts, result.metrics["distillation"]


def test_nested_teacher_refits_start_from_the_other_tasks_stage0(tmp_path, warm_family, qc_demo,
                                                                  qi_demo, monkeypatch):
    from shoprel.training.distill import distill

    """Every fit of the teacher started from its stage 0 (QI rows), but distill --nested refit
    it from nothing: the estimate was of another training. A stage 0 of the other task's file
    holds none of this file's rows, so the refits now start from it."""
    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(qi_demo), "stage0.params": {"tag": "stage0"}}, qc_demo,
        monkeypatch)
    assert len(starts) == 3  # one refit per pair of the 3 folds, each scoring both
    assert all(0 < rows < 360 for rows, _ in starts)  # two folds left out of each
    assert all(start is not None and (start["tag"], start["task"], start["rows"])
               == ("stage0", "QI", 360) for _, start in starts)
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start from its stage 0, fitted on the other task's (QI) rows "
        f"of {qi_demo.resolve()}, none of them this file's"]
    shutil.rmtree(teacher / MODELS / "stage0")  # said before any refit
    with pytest.raises(RunDirError, match=r"stage0: missing; the run's fits started from"):
        distill(teacher, load_config(None, {"model.family": "fast"}), tmp_path / "again",
                nested=True, progress=False)


def test_nested_teacher_refits_start_from_a_same_task_stage0_sharing_no_pair(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A stage 0 fitted on another file of the teacher's task was never reused, though one
    sharing no (query, target) pair with the distilled file learnt none of the rows a student
    fold validates on. Its file, still there, is now read and checked: it is reused."""
    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:240])
    same_task = jsonl(tmp_path / "same_task.jsonl", rows[240:])
    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(same_task), "stage0.params": {"tag": "stage0"}},
        train_file, monkeypatch)
    assert len(starts) == 3 and all(0 < rows_fitted < 240 for rows_fitted, _ in starts)
    assert all(start is not None and (start["tag"], start["task"], start["rows"])
               == ("stage0", "QC", 120) for _, start in starts)
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start from its stage 0, fitted on QC rows of "
        f"{same_task.resolve()}, which share no (query, target) pair with "
        f"{train_file.resolve()}"]


def test_nested_teacher_refits_skip_a_same_task_stage0_sharing_pairs(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A stage 0 that learnt pairs of the distilled file (a run trained before train refused
    such a file) would carry their labels into the student folds validating on them: the
    refits start without it, and the block counts the pairs and names the first."""
    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:240])
    overlapping = jsonl(tmp_path / "overlapping.jsonl", rows[200:])
    monkeypatch.setattr(runner, "check_stage0_rows", lambda *given: None)  # an older train
    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(overlapping)}, train_file, monkeypatch)
    assert len(starts) == 3 and all(start is None for _, start in starts)
    first = rows[200]
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start without its stage 0, fitted on QC rows of "
        f"{overlapping.resolve()}, which shares 40 pair(s) with {train_file.resolve()} "
        f"(first: {first['origin_query'].lower()!r} / {first['category_path'].lower()!r}): "
        "stage 0 learnt their labels"]


def relabelled(rows: list[dict]) -> list[dict]:
    """The rows with the first one's label flipped: as many rows, other bytes."""
    return [{**rows[0], "label": 1 - int(rows[0]["label"])}, *rows[1:]]


@pytest.mark.parametrize("change", ["removed", "rows_removed", "garbled", "retasked",
                                    "relabelled"])
def test_nested_teacher_refits_skip_a_same_task_stage0_whose_file_cannot_tell(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch, change):
    """A stage-0 file gone since, refused by the reader (garbled, or of the other task now:
    said as the reader says it, not as "can no longer be read"), or holding other rows than
    stage 0 learnt (the pairs it shared may have been taken out), cannot say whether stage 0
    saw the distilled rows: the refits start without it, as before, and the block says why.
    An edit that kept the row count (a label changed) passed for the file stage 0 learnt; the
    run now records the file's SHA-256, and the edit is caught by it. The line names
    --stage0-train, the way to the file stage 0 learnt where it is kept elsewhere."""
    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:240])
    same_task = jsonl(tmp_path / "same_task.jsonl", rows[240:])
    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(same_task)}, train_file, monkeypatch,
        after_training={"removed": same_task.unlink,
                        "rows_removed": lambda: jsonl(same_task, rows[250:]),
                        "garbled": lambda: same_task.write_text("not json\n"),
                        "retasked": lambda: jsonl(same_task, [
                            {"id": row["id"], "origin_query": row["origin_query"],
                             "item_title": row["category_path"], "label": row["label"]}
                            for row in rows[240:]]),
                        "relabelled": lambda: jsonl(same_task, relabelled(rows[240:]))
                        }[change])
    assert len(starts) == 3 and all(start is None for _, start in starts)
    recorded = json.loads((teacher / METRICS).read_text())["stage0"]["train_sha256"]
    why = {"removed": f"which is no longer there: whether it held rows of "
                      f"{train_file.resolve()} cannot be told",
           "rows_removed": f"which holds 110 rows now, not the 120 stage 0 learnt: changed "
                           f"since, it may have held rows of {train_file.resolve()}",
           "garbled": f"which no longer reads as the QC rows stage 0 learnt (line 1: "
                      f"malformed JSON: Expecting value at column 1): changed since, it may "
                      f"have held rows of {train_file.resolve()}",
           "retasked": f"which no longer reads as the QC rows stage 0 learnt (line 1, field "
                       f"'category_path': column missing for task QC (the file looks like a "
                       f"QI file)): changed since, it may have held rows of "
                       f"{train_file.resolve()}",
           "relabelled": f"whose bytes differ from those stage 0 learnt (SHA-256 "
                         f"{recorded[:12]}... in metrics.json stage0.train_sha256): changed "
                         f"since, it may have held rows of {train_file.resolve()}"}[change]
    # the way on names --stage0-train: the file's new place, or the original kept elsewhere
    way_on = ("if it has moved, name its new place with --stage0-train FILE"
              if change == "removed" else
              "name the file stage 0 was fitted on with --stage0-train FILE")
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start without its stage 0, fitted on QC rows of "
        f"{same_task.resolve()}, {why}; {way_on}"]


def test_nested_teacher_refits_of_a_run_without_a_stage0_digest_go_by_row_count(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A run written before metrics.json recorded the stage-0 file's SHA-256 keeps working as
    it did: a file of the row count stage 0 learnt, sharing no pair, is reused (a changed
    label cannot be told), one of another row count is not."""
    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:240])
    same_task = jsonl(tmp_path / "same_task.jsonl", rows[240:])

    def older_run_then(edit):
        def after_training():
            metrics_file = tmp_path / "teacher" / METRICS
            metrics = json.loads(metrics_file.read_text())
            assert len(metrics["stage0"].pop("train_sha256")) == 64
            metrics_file.write_text(json.dumps(metrics))
            edit()
        return after_training

    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(same_task)}, train_file, monkeypatch,
        after_training=older_run_then(lambda: jsonl(same_task, relabelled(rows[240:]))))
    assert len(starts) == 3 and all(start is not None and start["rows"] == 120
                                    for _, start in starts)
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start from its stage 0, fitted on QC rows of "
        f"{same_task.resolve()}, which share no (query, target) pair with "
        f"{train_file.resolve()}"]
    shutil.rmtree(tmp_path / "teacher")
    shutil.rmtree(tmp_path / "student")
    _, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(same_task)}, train_file, monkeypatch,
        after_training=older_run_then(lambda: jsonl(same_task, rows[250:])))
    assert len(starts) == 3 and all(start is None for _, start in starts)
    assert "which holds 110 rows now, not the 120 stage 0 learnt" in block["nested_stage0"][0]


def test_nested_teacher_refits_skip_a_stage0_on_the_training_file_itself(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A run trained before train refused its own training file as stage0.data: the refits
    never start from that stage 0, whatever its pairs."""
    train_file = jsonl(tmp_path / "train.jsonl", demo_rows(qc_demo)[:240])
    monkeypatch.setattr(runner, "check_stage0_rows", lambda *given: None)  # an older train
    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(train_file)}, train_file, monkeypatch)
    assert len(starts) == 3 and all(start is None for _, start in starts)
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start without its stage 0, fitted on QC rows of "
        f"{train_file.resolve()}: the training file {train_file.resolve()} itself"]


def student_oof(run: Path) -> list:
    return pd.read_parquet(run / OOF)["probability"].round(12).tolist()


def moved_stage0_teacher(tmp_path, train_rows, stage0_rows, jsonl, monkeypatch,
                         older=False):
    """A teacher of train_rows whose stage 0 learnt stage0_rows (a file of its task, at
    old/), the starts and student OOF of its nested distill then, and the stage-0 file moved
    to new/ since; `older`: a run written before metrics.json recorded the file's digest."""
    train_file = jsonl(tmp_path / "train.jsonl", train_rows)
    (tmp_path / "old").mkdir()
    recorded = jsonl(tmp_path / "old" / "same_task.jsonl", stage0_rows)
    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": str(recorded), "stage0.params": {"tag": "stage0"}},
        train_file, monkeypatch)
    assert len(starts) == 3 and all(start is not None for _, start in starts)
    if older:
        metrics = json.loads((teacher / METRICS).read_text())
        del metrics["stage0"]["train_sha256"]
        (teacher / METRICS).write_text(json.dumps(metrics))
    (tmp_path / "new").mkdir()
    moved = recorded.rename(tmp_path / "new" / "same_task.jsonl")
    return {"teacher": teacher, "train": train_file, "recorded": recorded, "moved": moved,
            "starts": starts, "oof": student_oof(tmp_path / "student")}


def test_a_moved_stage0_file_named_with_stage0_train_is_read_there(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A same-task stage-0 file moved since the teacher was trained could not be named: the
    nested refits started without stage 0. Named with stage0_train (--stage0-train), checked
    by the digest the run records, it is read there: the refits start from stage 0 as they did
    with the file in place, and the student is the one distilled then."""
    rows = demo_rows(qc_demo)
    was = moved_stage0_teacher(tmp_path, rows[:240], rows[240:], jsonl, monkeypatch)
    teacher, moved = was["teacher"], was["moved"]
    starts, block = nested_distill(teacher, tmp_path / "gone", monkeypatch)
    assert all(start is None for _, start in starts)  # the file is gone: as before, said
    assert block["nested_stage0"][0].endswith(
        "if it has moved, name its new place with --stage0-train FILE")
    starts, block = nested_distill(teacher, tmp_path / "named", monkeypatch,
                                   stage0_train=moved)
    assert starts == was["starts"]
    assert student_oof(tmp_path / "named") == was["oof"]
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start from its stage 0, fitted on QC rows of "
        f"{was['recorded'].resolve()}, read at {moved.resolve()} (--stage0-train), which "
        f"share no (query, target) pair with {was['train'].resolve()}"]


@pytest.mark.parametrize("progress", [True, False])
def test_distill_student_says_the_stage0_its_refits_start_without_in_python_words(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch, capsys, progress):
    """`shoprel distill --nested` says before the refits which stage 0 they start without (a
    moved file can still be named); distill_student said nothing. The note is written on
    stderr as train writes its own, naming stage0_train, and progress=False silences it."""
    from shoprel.api import distill_student

    rows = demo_rows(qc_demo)
    was = moved_stage0_teacher(tmp_path, rows[:240], rows[240:], jsonl, monkeypatch)
    capsys.readouterr()
    distill_student(was["teacher"], {"model.family": "fast", "model.params.n_estimators": 10,
                                     "model.params.n_jobs": 1}, tmp_path / "gone",
                    nested=True, speed_rows=0, progress=progress)
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: ")]
    assert notes == ([
        f"note: {was['teacher']}: the refits start without its stage 0, fitted on QC rows of "
        f"{was['recorded'].resolve()}, which is no longer there: whether it held rows of "
        f"{was['train'].resolve()} cannot be told; if it has moved, name its new place with "
        "stage0_train=PATH"] if progress else [])


def test_distill_student_returns_the_stage0_lines_in_python_words(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """The nested_stage0 lines of the metrics distill_student returns named --stage0-train (a
    file gone: "name its new place with --stage0-train FILE"; one named: "read at ...
    (--stage0-train)"), an option of the command; returned to Python they name stage0_train.
    The run's metrics.json, which the commands read too, keeps the command's words."""
    from shoprel.api import distill_student

    rows = demo_rows(qc_demo)
    was = moved_stage0_teacher(tmp_path, rows[:240], rows[240:], jsonl, monkeypatch)
    student = {"model.family": "fast", "model.params.n_estimators": 10, "model.params.n_jobs": 1}
    gone = distill_student(was["teacher"], student, tmp_path / "gone", nested=True,
                           speed_rows=0, progress=False).metrics["distillation"]
    named = distill_student(was["teacher"], student, tmp_path / "named", nested=True,
                            speed_rows=0, progress=False,
                            stage0_train=was["moved"]).metrics["distillation"]
    said = (f"{was['teacher']}: the refits start without its stage 0, fitted on QC rows of "
            f"{was['recorded'].resolve()}, which is no longer there: whether it held rows of "
            f"{was['train'].resolve()} cannot be told; if it has moved, name its new place with "
            "{}",
            f"{was['teacher']}: the refits start from its stage 0, fitted on QC rows of "
            f"{was['recorded'].resolve()}, read at {was['moved'].resolve()} ({{}}), which share "
            f"no (query, target) pair with {was['train'].resolve()}")
    assert (gone["nested_stage0"], named["nested_stage0"]) == (
        [said[0].format("stage0_train=PATH")], [said[1].format("stage0_train")])
    kept = [json.loads((tmp_path / name / METRICS).read_text())["distillation"]
            for name in ("gone", "named")]
    assert (kept[0]["nested_stage0"], kept[1]["nested_stage0"]) == (
        [said[0].format("--stage0-train FILE")], [said[1].format("--stage0-train")])


def test_another_file_named_with_stage0_train_is_refused_in_one_line(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A file of other bytes (one label changed: as many rows) is not the one stage 0 learnt:
    refused before any refit, naming the file, the recorded one and the field; so is a path
    that is no file, and the option on a distill that reads no stage-0 file."""
    from shoprel.api import distill_student
    from shoprel.training.distill import distill

    rows = demo_rows(qc_demo)
    was = moved_stage0_teacher(tmp_path, rows[:240], rows[240:], jsonl, monkeypatch)
    teacher, recorded = was["teacher"], was["recorded"].resolve()
    other = jsonl(tmp_path / "other.jsonl", relabelled(rows[240:]))
    digest = json.loads((teacher / METRICS).read_text())["stage0"]["train_sha256"]
    with pytest.raises(InputError) as refused:
        nested_distill(teacher, tmp_path / "refused", monkeypatch, stage0_train=other)
    assert str(refused.value) == (
        f"{other}: not the file {teacher}'s stage 0 was fitted on ({recorded}): its SHA-256 "
        f"is {hashlib.sha256(other.read_bytes()).hexdigest()[:12]}..., the run records "
        f"{digest[:12]}... (metrics.json stage0.train_sha256)")
    assert not (tmp_path / "refused").exists()
    with pytest.raises(InputError, match=re.escape(
            f"nowhere.jsonl: no such file (--stage0-train, the new place of {teacher}'s "
            f"stage-0 file {recorded})")):
        nested_distill(teacher, tmp_path / "refused", monkeypatch,
                       stage0_train=tmp_path / "nowhere.jsonl")
    with pytest.raises(InputError, match=re.escape(
            "(stage0_train=, the new place of")):  # in Python's words from the API
        distill_student(teacher, {"model.family": "fast"}, tmp_path / "refused", nested=True,
                        stage0_train=tmp_path / "nowhere.jsonl")
    with pytest.raises(ConfigError, match="--stage0-train: only the refits of --nested read"):
        distill(teacher, load_config(None, {"model.family": "fast"}), tmp_path / "refused",
                stage0_train=was["moved"])
    with pytest.raises(ConfigError, match=re.escape(
            "stage0_train: only the refits of nested=True read the teacher's stage-0 file; add "
            "nested=True or drop stage0_train")):
        distill_student(teacher, {"model.family": "fast"}, tmp_path / "refused",
                        stage0_train=was["moved"])
    assert not (tmp_path / "refused").exists()


def test_stage0_train_of_a_run_without_a_digest_is_checked_by_its_row_count(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A run written before the stage-0 digest was kept: a named file of the row count stage 0
    learnt is read, and the line says it was checked by that count alone; another row count is
    refused in one line naming the field."""
    rows = demo_rows(qc_demo)
    was = moved_stage0_teacher(tmp_path, rows[:240], rows[240:], jsonl, monkeypatch,
                               older=True)
    teacher, moved = was["teacher"], was["moved"]
    starts, block = nested_distill(teacher, tmp_path / "named", monkeypatch,
                                   stage0_train=moved)
    assert starts == was["starts"]
    assert block["nested_stage0"][0].endswith(
        f"with {was['train'].resolve()} ({teacher} records no digest of its stage-0 file (a "
        f"run written before shoprel recorded one): {moved} was checked by its row count, "
        "not byte for byte)")
    fewer = jsonl(tmp_path / "fewer.jsonl", rows[250:])
    with pytest.raises(InputError) as refused:
        nested_distill(teacher, tmp_path / "refused", monkeypatch, stage0_train=fewer)
    assert str(refused.value) == (
        f"{fewer}: not the file {teacher}'s stage 0 was fitted on "
        f"({was['recorded'].resolve()}): it holds 110 rows, the run records 120 (metrics.json "
        "stage0.train_rows)")


def test_stage0_train_names_the_stage0_file_of_one_member_of_a_teacher_ensemble(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """Members may have learnt other stage-0 files: the one named is read for the member
    whose digest it holds, the other member's where it is; a file of neither is refused, and
    so is the option for a teacher whose stage 0s are of the other task (none is read)."""
    from shoprel.ensemble.runner import build_ensemble

    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:240])
    files = {name: jsonl(tmp_path / f"{name}.jsonl", part)
             for name, part in (("a", rows[240:300]), ("b", rows[300:]))}
    members = [runner.train(train_file, tmp_path / name, load_config(None, {
        "model.family": warm_family, "folds.k": 3, "stage0.data": str(file),
        "stage0.params": {"tag": name}}), progress=False).run_dir
        for name, file in files.items()]
    build_ensemble(members, tmp_path / "ens", method="mean")
    (tmp_path / "new").mkdir()
    moved = files["b"].rename(tmp_path / "new" / "b.jsonl")
    starts, block = nested_distill(tmp_path / "ens", tmp_path / "student", monkeypatch,
                                   stage0_train=moved)
    assert sorted(start["tag"] for _, start in starts) == ["a"] * 3 + ["b"] * 3
    assert [line.split(", which share")[0] for line in block["nested_stage0"]] == [
        f"{members[0]}: the refits start from its stage 0, fitted on QC rows of "
        f"{files['a'].resolve()}",
        f"{members[1]}: the refits start from its stage 0, fitted on QC rows of "
        f"{files['b'].resolve()}, read at {moved.resolve()} (--stage0-train)"]
    with pytest.raises(InputError, match=f"not the file {members[0]}'s stage 0 was fitted on"):
        nested_distill(tmp_path / "ens", tmp_path / "refused", monkeypatch,
                       stage0_train=train_file)


def test_stage0_train_of_one_member_is_not_read_for_a_member_recording_no_digest(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """A member trained before the stage-0 digest was kept took any named file of its row
    count: the file of another member, whose digest says whose it is, stood in for its own.
    The file is now that member's alone; the older member reads its own file."""
    from shoprel.ensemble.runner import build_ensemble

    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:240])
    files = {name: jsonl(tmp_path / f"{name}.jsonl", part)
             for name, part in (("a", rows[240:300]), ("b", rows[300:]))}  # 60 rows each
    members = [runner.train(train_file, tmp_path / name, load_config(None, {
        "model.family": warm_family, "folds.k": 3, "stage0.data": str(file),
        "stage0.params": {"tag": name}}), progress=False).run_dir
        for name, file in files.items()]
    metrics = json.loads((members[0] / METRICS).read_text())
    del metrics["stage0"]["train_sha256"]  # member a: an older run
    (members[0] / METRICS).write_text(json.dumps(metrics))
    build_ensemble(members, tmp_path / "ens", method="mean")
    (tmp_path / "new").mkdir()
    moved = files["b"].rename(tmp_path / "new" / "b.jsonl")
    _, block = nested_distill(tmp_path / "ens", tmp_path / "student", monkeypatch,
                              stage0_train=moved)
    assert [line.split(", which share")[0] for line in block["nested_stage0"]] == [
        f"{members[0]}: the refits start from its stage 0, fitted on QC rows of "
        f"{files['a'].resolve()}",
        f"{members[1]}: the refits start from its stage 0, fitted on QC rows of "
        f"{files['b'].resolve()}, read at {moved.resolve()} (--stage0-train)"]


def test_stage0_train_for_a_teacher_whose_stage0_is_of_the_other_task_is_refused(
        tmp_path, warm_family, qc_demo, qi_demo, monkeypatch):
    config = load_config(None, {"model.family": warm_family, "folds.k": 3,
                                "stage0.data": str(qi_demo)})
    teacher = runner.train(qc_demo, tmp_path / "teacher", config, progress=False).run_dir
    with pytest.raises(ConfigError, match=re.escape(
            f"--stage0-train: no stage 0 of {teacher} was fitted on a file of its own task, "
            "the only stage-0 file the nested refits read; drop --stage0-train")):
        nested_distill(teacher, tmp_path / "student", monkeypatch, stage0_train=qi_demo)


def test_distill_command_says_a_stage0_left_out_and_takes_stage0_train(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """The command said nothing of a stage 0 the refits start without (metrics.json only): a
    note says so before the refits, naming --stage0-train; with it, the refits start from
    stage 0 again; a file of other rows is refused in one line; the folder holding the named
    file is not an output."""
    from click.testing import CliRunner

    from shoprel.cli import main

    rows = demo_rows(qc_demo)
    was = moved_stage0_teacher(tmp_path, rows[:240], rows[240:], jsonl, monkeypatch)
    teacher, moved = was["teacher"], was["moved"]
    student = tmp_path / "student.yaml"
    student.write_text("model:\n  family: fast\n  params: {n_estimators: 10, n_jobs: 1}\n")

    def distill(*args):
        return CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student),
                                         "--nested", "--speed-rows", "0",
                                         *[str(a) for a in args]])

    done = distill("--out", tmp_path / "without")
    assert done.exit_code == 0, done.output
    assert (f"note: {teacher}: the refits start without its stage 0, fitted on QC rows of "
            f"{was['recorded'].resolve()}, which is no longer there") in done.stderr
    assert "if it has moved, name its new place with --stage0-train FILE" in done.stderr
    done = distill("--out", tmp_path / "named", "--stage0-train", moved)
    assert done.exit_code == 0, done.output
    assert "stage 0" not in done.stderr
    assert student_oof(tmp_path / "named") == was["oof"]
    other = jsonl(tmp_path / "other.jsonl", relabelled(rows[240:]))
    done = distill("--out", tmp_path / "refused", "--stage0-train", other)
    assert done.exit_code != 0
    assert done.output.strip().splitlines()[-1].endswith("(metrics.json stage0.train_sha256)")
    done = distill("--out", moved.parent, "--stage0-train", moved, "--overwrite")
    assert done.exit_code != 0 and "which this command reads" in done.output
    assert moved.is_file() and not (tmp_path / "refused").exists()


def test_the_distill_again_of_a_student_whose_refits_read_a_moved_stage0_names_it(
        tmp_path, warm_family, qc_demo, jsonl, monkeypatch):
    """The command a nested student gives to be made again (a backbone changed since:
    Run.retrain_command) named --train where the teacher's training file had moved, but
    not --stage0-train where its refits read a moved stage-0 file: pasted, the refits started
    without stage 0 and made another student. The block records the file read, and the
    command names it: pasted (NEW_RUN named), it makes the student again."""
    import shlex

    from click.testing import CliRunner

    from shoprel.cli import main

    rows = demo_rows(qc_demo)
    was = moved_stage0_teacher(tmp_path, rows[:240], rows[240:], jsonl, monkeypatch)
    teacher, moved = was["teacher"], was["moved"]
    student = tmp_path / "student.yaml"
    student.write_text("model:\n  family: fast\n  params: {n_estimators: 10, n_jobs: 1}\n")
    named = tmp_path / "my runs" / "named"
    done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student),
                                     "--nested", "--stage0-train", str(moved), "--out",
                                     str(named), "--speed-rows", "0", "--quiet"])
    assert done.exit_code == 0, done.output
    command = shlex.split(Run.open(named).retrain_command().strip("`"))
    assert command[command.index("--nested"):] == ["--nested", "--stage0-train",
                                                   str(moved.resolve())]
    command[command.index("NEW_RUN")] = str(tmp_path / "my runs" / "again")
    again = CliRunner().invoke(main, [*command[1:], "--speed-rows", "0"])
    assert again.exit_code == 0, again.output
    assert "stage 0" not in again.stderr
    assert student_oof(tmp_path / "my runs" / "again") == student_oof(named) == was["oof"]


def real_rows(path: Path, start: int, stop: int) -> list[dict]:
    return [json.loads(line) for line in
            path.read_text(encoding="utf-8").splitlines()[start:stop]]


@pytest.mark.parametrize("quiet", [False, True])
def test_a_stage0_sharing_queries_is_noted_not_refused(tmp_path, warm_family, real_qc, real_qi,
                                                       jsonl, quiet):
    """A stage-0 file sharing no pair but some queries with the training file was fitted on
    without a word, though every fold model starts from stage 0, so a fold's held-out queries
    may not be new to its model. These real rows
    share one query ('table', 12 of the QI rows): the run is written, metrics.json counts the
    shared queries, and `shoprel train` says so in one note line, unless --quiet."""
    from click.testing import CliRunner

    from shoprel.cli import main

    train_file = jsonl(tmp_path / "qc.jsonl", real_rows(real_qc, 1700, 1800))
    stage0 = jsonl(tmp_path / "qi.jsonl", real_rows(real_qi, 600, 700))
    config = tmp_path / "c.yaml"
    config.write_text(f"model: {{family: {warm_family}}}\nfolds: {{k: 2}}\n"
                      f"stage0: {{data: {json.dumps(str(stage0))}}}\n")
    done = CliRunner().invoke(main, ["train", str(train_file), "--out", str(tmp_path / "run"),
                                     "--config", str(config), *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    info = json.loads((tmp_path / "run" / METRICS).read_text())["stage0"]
    assert (info["shared_queries"], info["training_file_queries"]) == (1, 100)
    note = (f"note: the stage-0 file {stage0.resolve()} holds 1 of the training file's 100 "
            "distinct queries: every fold model starts from stage 0, which saw them, so a fold's "
            "held-out queries may not be new to its model; the out-of-fold figures may read "
            "high")
    assert (note in done.stderr.splitlines()) is not quiet
    assert "note:" not in done.stdout


def test_a_same_task_stage0_sharing_queries_not_pairs_is_fitted_on_and_noted(
        tmp_path, fits_counted, real_qc, jsonl):
    """Other rows of the run's task whose queries the training file holds (with other
    categories): fitted on, the shared queries counted; a file sharing none has no note."""
    from shoprel.training.stage0_rows import shared_queries_note

    train_file = jsonl(tmp_path / "train.jsonl", real_rows(real_qc, 0, 200))
    for name, (start, stop), shared in (("sharing", (200, 2000), 8),
                                        ("apart", (2000, 2200), 0)):
        stage0 = jsonl(tmp_path / f"{name}.jsonl", real_rows(real_qc, start, stop))
        config = load_config(None, {"model.family": WarmStart.family, "folds.k": 2,
                                    "stage0.data": str(stage0)})
        info = runner.train(train_file, tmp_path / name, config, progress=False).metrics["stage0"]
        assert (info["task"], info["shared_queries"], info["training_file_queries"]) == (
            "QC", shared, 200)
        assert fits_counted[-4] == stop - start  # stage 0 fitted, then two folds and the full
        said = shared_queries_note(info)
        assert (said is None) is (shared == 0)
        if shared:
            assert said.startswith(f"note: the stage-0 file {stage0.resolve()} holds 8 of "
                                   "the training file's 200 distinct queries: ")


def test_the_stage0_fit_draws_a_bar_naming_its_steps(tmp_path, warm_family, qc_demo, qi_demo,
                                                     monkeypatch, capsys):
    """A stage-0 fit of the default embed family is minutes after one 'stage 0: fitting ...'
    line: it now draws a bar of its own whose line names the step the fit is at, as the final
    fit's does; --quiet draws none."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.utils.progress import report_step

    monkeypatch.setattr(WarmStart, "after_fit", lambda self, frame: report_step("boosters 1/3"))
    config = load_config(None, {"model.family": warm_family, "stage0.data": str(qi_demo)})
    runner.fit_stage0(config, tmp_path / "models", progress=True)
    drawn = [line.rstrip() for line in capsys.readouterr().err.replace("\n", "\r").split("\r")]
    bar = [line for line in drawn if line.startswith("stage 0 fit (360 rows)")]
    steps = [line.rsplit(", ", 1)[1][:-1] for line in bar if ", " in line]
    assert steps == ["fitting", "boosters 1/3"], bar
    assert bar[-1].startswith("stage 0 fit (360 rows): 100%") and "boosters" not in bar[-1], bar

    path = tmp_path / "c.yaml"
    path.write_text(f"model: {{family: {warm_family}}}\nfolds: {{k: 2}}\n"
                    f"stage0: {{data: {json.dumps(str(qi_demo))}}}\n")
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(tmp_path / "run"),
                                     "--config", str(path), "--quiet"])
    assert done.exit_code == 0, done.output
    assert "stage 0" not in done.output and "boosters" not in done.output


def test_nested_refits_on_a_backbone_changed_since_the_teacher_name_its_config_line(
        tmp_path, qc_demo, qi_demo, tiny_backbone):
    """A cross teacher's backbone changed since it was trained (one weight byte): the nested
    refits refuse to start from its stage 0, which was said at a line of the student's
    config (`student.yaml: line 3: model.params.backbone ...`, its `params:` line: the
    student's config writes no backbone). It is said at the teacher's config.yaml line that
    names the backbone, with the command that trains the teacher again, and nothing is
    written; before any refit, as its models' recorded fingerprint (the stage 0's too) is
    checked first."""
    pytest.importorskip("torch")
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.data.readers import read_pairs

    texts = [text for path in (qc_demo, qi_demo) for column in ("query", "target")
             for text in read_pairs(path).df[column]]
    bert = tiny_backbone(tmp_path / "bert", texts)
    config = load_config(None, {
        "folds.k": 3, "student": None, "model.family": "cross",
        "model.params": {"backbone": str(bert), "max_steps": 1, "n_threads": 1,
                         "max_length": 32, "cache_dir": str(tmp_path / "cache")},
        "stage0.data": str(qi_demo)})
    teacher = runner.train(qc_demo, tmp_path / "run", config, progress=False).run_dir
    trained = json.loads((teacher / MODELS / "stage0" / base.MODEL_CONFIG).read_text(
        encoding="utf-8"))["state"]["fingerprint"]
    weights = bert / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    student = tmp_path / "student.yaml"
    student.write_text("model:\n  family: fast\n  params: {n_estimators: 10, n_jobs: 1}\n")
    out = tmp_path / "student"
    done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student),
                                     "--nested", "--speed-rows", "0", "--out", str(out),
                                     "--quiet"])
    assert done.exit_code == 2, done.output
    said = done.output.strip()
    lines = (teacher / "config.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(lines, 1) if row.strip() == f"backbone: {bert}")
    assert re.fullmatch(
        rf"error: {re.escape(str(teacher / 'config.yaml'))}: line {line}: model\.params\."
        rf"backbone {re.escape(repr(str(bert)))}: now resolves to sha256:[0-9a-f]{{64}}, but the "
        rf"model was trained on {trained}; put back the weights it was trained on, or train "
        rf"it again on these: "
        rf"`shoprel train {re.escape(str(qc_demo))} --config "
        rf"{re.escape(str(teacher / 'config.yaml'))} --out NEW_RUN`", said), said
    assert trained != said.split("now resolves to ")[1].split(",")[0]
    assert not out.exists()
