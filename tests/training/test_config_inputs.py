"""Files and folders named only in the config (stage0.data, ...) are inputs as the training
file is: `train --overwrite` replaces its --out folder whole, so one read from inside it was
lost with the run it replaced. Each is refused before any work, at its config line."""

import hashlib
import json
from pathlib import Path

import pytest
from tests.training.test_stage0 import demo_rows
from tests.training.test_stage0_files import StartScored, fitted  # noqa: F401 (a fixture)

from shoprel.errors import ConfigError
from shoprel.training import runner
from shoprel.training.config_reading import load_config

pytestmark = pytest.mark.usefixtures("no_report_charts")
STAMP = ".shoprel-output.json"


def snapshot(folder):
    """Every file below `folder` and its digest: what a refused command must leave as it was."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def older_run(tmp_path, train_file):
    """A run written before outputs were stamped: --overwrite may replace it when its top level
    holds only a run's names, whatever lies below them (models/ here)."""
    config = load_config(None, {"model.family": StartScored.family, "folds.k": 2})
    run = runner.train(train_file, tmp_path / "run", config, progress=False).run_dir
    (run / STAMP).unlink()
    return run


def overwrite_with(run, train_file, config_text: str):
    """(the config file, the result) of `train TRAIN --out RUN --config C --overwrite`, C
    holding `config_text` beside RUN; it must fail."""
    from click.testing import CliRunner

    from shoprel.cli import main

    config = run.parent / "c.yaml"
    config.write_text(config_text)
    done = CliRunner().invoke(main, ["train", str(train_file), "--out", str(run), "--config",
                                     str(config), "--overwrite", "--quiet"])
    assert done.exit_code != 0
    return config, done


def test_a_stage0_file_inside_the_run_replaced_is_refused_at_its_line_and_kept(
        tmp_path, fitted, qc_demo, qi_demo, jsonl):  # noqa: F811
    """`stage0.data` in an older run's models/, retrained into that run with --overwrite: the
    file was read, then deleted with the run, and the new metrics.json named it still."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run = older_run(tmp_path, qi_demo)
    rows = demo_rows(qi_demo)
    outside = jsonl(tmp_path / "qi_a.jsonl", rows[:200])
    inside = jsonl(run / "models" / "qi_b.jsonl", rows[200:])
    kept, before = inside.read_bytes(), snapshot(run)
    fitted.clear()
    config = tmp_path / "c.yaml"
    config.write_text(f"model: {{family: {StartScored.family}}}\nfolds: {{k: 2}}\n"
                      f"stage0:\n  data:\n    - {outside}\n    - {inside}\n")
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(run), "--config",
                                     str(config), "--overwrite", "--quiet"])
    assert done.exit_code != 0
    assert done.output.strip().splitlines() == [
        f"error: {config}: line 4: stage0.data: {inside} lies inside --out {run}, which train "
        "replaces; move it out first"]
    assert inside.read_bytes() == kept and snapshot(run) == before
    assert fitted == []  # refused before any fit
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "qi_a.jsonl", "run"]


def test_a_stage0_file_reached_through_a_link_into_the_run_is_refused(
        tmp_path, fitted, qc_demo, qi_demo, jsonl):  # noqa: F811
    run = older_run(tmp_path, qi_demo)
    inside = jsonl(run / "models" / "qi.jsonl", demo_rows(qi_demo))
    link = tmp_path / "qi.jsonl"
    link.symlink_to(inside)
    before = snapshot(run)
    config = load_config(None, {"model.family": StartScored.family, "folds.k": 2,
                                "stage0.data": str(link)})
    with pytest.raises(ConfigError, match=f"^stage0.data: {link} lies inside --out {run}, "):
        runner.train(qc_demo, run, config, overwrite=True, progress=False)
    assert snapshot(run) == before


def test_a_stage0_file_outside_the_run_replaced_is_read(tmp_path, fitted, qc_demo,  # noqa: F811
                                                        qi_demo):
    run = older_run(tmp_path, qi_demo)
    config = load_config(None, {"model.family": StartScored.family, "folds.k": 2,
                                "stage0.data": str(qi_demo)})
    runner.train(qc_demo, run, config, overwrite=True, progress=False)
    assert fitted[-4:] == [360, 180, 180, 360]  # stage 0, two folds, the full fit


CROSS = {"max_length": 48, "batch_size": 16, "max_steps": 4, "save_steps": 4,
         "learning_rate": 1e-3, "n_threads": 1}


def cross_config(backbone, **more):
    return load_config(None, {"folds.k": 2, "model.family": "cross", "student": None,
                              **{f"model.params.{k}": v for k, v in CROSS.items()},
                              "model.params.backbone": str(backbone), **more})


@pytest.fixture
def tiny_bert(tmp_path, tiny_backbone, qc_demo):
    from shoprel.data.readers import read_pairs

    frame = read_pairs(qc_demo)
    return tiny_backbone(tmp_path / "bert", [*frame.df["query"], *frame.df["target"], " - "])


def test_a_runs_own_fine_tuned_backbone_is_refused_for_its_retraining(tmp_path, tiny_bert,
                                                                      qc_demo):
    """A cross run's models/full/hf is a model folder: named as the backbone of the same run
    retrained with --overwrite, it was loaded, then replaced by the new run's weights, so the
    fine-tuned weights were lost and the new config.yaml named a folder holding others. The
    run's or its student's: each refused at its field, the run as it was."""
    pytest.importorskip("torch")
    run = runner.train(qc_demo, tmp_path / "run", cross_config(tiny_bert), progress=False).run_dir
    own = run / "models" / "full" / "hf"
    assert (own / "config.json").is_file()
    before = snapshot(run)
    for config, field in [
            (cross_config(own), "model.params.backbone"),
            (cross_config(tiny_bert, student={"model": {"family": "embed", "params": {
                "backbone": ["use-multilingual", str(own)]}}}),
             "student.model.params.backbone")]:
        with pytest.raises(ConfigError) as refused:
            runner.train(qc_demo, run, config, overwrite=True, progress=False)
        assert str(refused.value) == (f"{field}: {own} lies inside --out {run}, which train "
                                      "replaces; move it out first")
        assert snapshot(run) == before


def test_a_run_inside_its_backbone_folder_is_refused(tmp_path, tiny_bert, qc_demo):
    """Every weight file below a backbone folder is hashed for its fingerprint: a run written
    inside it (its own model.safetensors) changed the fingerprint of the weights it used."""
    before = snapshot(tiny_bert)
    with pytest.raises(ConfigError, match=(
            f"^model.params.backbone: --out {tiny_bert / 'run'} lies inside {tiny_bert}, which "
            "train reads; writing there would change it, choose an output outside it$")):
        runner.train(qc_demo, tiny_bert / "run", cross_config(tiny_bert), progress=False)
    assert snapshot(tiny_bert) == before


FAST_YAML = Path(__file__).parents[2] / "configs" / "fast.yaml"
FAST_SMALL = "folds: {k: 2}\nmodel: {family: fast, params: {n_features: 65536, n_estimators: 30, " \
             "n_jobs: 1}}\n"


def flagged_ids(folder, frame):
    path = folder / "flagged.txt"
    path.write_text("".join(f"{row_id}\n" for row_id in frame.df["id"][:20]))
    return path


def spanish_table(folder, frame):
    spanish = frame.df.loc[frame.df["language"] == "es", "query"].unique()
    path = folder / "t.jsonl"
    path.write_text("".join(json.dumps({"text": q, "source": "es", "target": "pt",
                                        "translation": f"pt {q}"}) + "\n" for q in spanish),
                    encoding="utf-8")
    return path


def translation_model(folder, frame):
    path = folder / "opus-mt-es-pt"
    path.mkdir()
    (path / "config.json").write_text("{}")
    return path


@pytest.mark.parametrize("field, make, section", [
    ("noise.flagged", flagged_ids, "noise:\n  flagged: {path}\n"),
    ("augment.table", spanish_table,
     "augment:\n  translate: {{pt: es}}\n  backend: table\n  table: {path}\n"),
    ("augment.model", translation_model,
     "augment:\n  translate: {{pt: es}}\n  backend: hf\n  model: {path}\n")])
def test_a_flagged_ids_file_or_translation_input_inside_the_run_replaced_is_refused(
        tmp_path, qc_demo, field, make, section):
    """noise.flagged and augment.table in an older run's models/ (the --overwrite guard reads
    an unstamped run's top level only), retrained into that run with --overwrite: each was
    read, then deleted with the run (reproduced before this check: train succeeded, the file
    was gone). Refused at its line of the config, before any work."""

    from shoprel.data.readers import read_pairs

    run = runner.train(qc_demo, tmp_path / "run", load_config(FAST_YAML, {
        "folds.k": 2, "model.params.n_features": 2**16, "model.params.n_estimators": 30,
        "model.params.n_jobs": 1}), progress=False).run_dir
    (run / STAMP).unlink()  # a run written before outputs were stamped
    inside = make(run / "models", read_pairs(qc_demo))
    before = snapshot(run)
    config, done = overwrite_with(run, qc_demo, FAST_SMALL + section.format(path=inside))
    assert done.output.strip().splitlines() == [
        f"error: {config}: line {4 if field == 'noise.flagged' else 6}: {field}: {inside} lies "
        f"inside --out {run}, which train replaces; move it out first"]
    assert snapshot(run) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "run"]


def test_distill_refuses_a_student_config_input_inside_out_before_the_nested_refits(
        tmp_path, qc_demo, monkeypatch):
    """distill checked its student config's inputs only in the final train, after the
    teacher's k(k-1)/2 nested refits; they are refused before them now, at the student
    config's line."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.data.readers import read_pairs
    from shoprel.training import distill as distill_module

    small = {"folds.k": 3, "model.params.n_features": 2**16, "model.params.n_estimators": 30,
             "model.params.n_jobs": 1}
    teacher = runner.train(qc_demo, tmp_path / "teacher", load_config(FAST_YAML, small),
                           progress=False).run_dir
    older = runner.train(qc_demo, tmp_path / "student", load_config(FAST_YAML, small),
                         progress=False).run_dir
    # a student run stamped before stamps listed files: --overwrite checks its top level
    # only, so the config-input check is what keeps the file below it
    stamp = json.loads((older / STAMP).read_text(encoding="utf-8"))
    (older / STAMP).write_text(json.dumps({k: v for k, v in stamp.items() if k != "files"}),
                               encoding="utf-8")
    inside = flagged_ids(older / "models", read_pairs(qc_demo))
    before = snapshot(older)
    student = tmp_path / "student.yaml"
    student.write_text(FAST_SMALL + f"noise:\n  flagged: {inside}\n")
    monkeypatch.setattr(distill_module, "nested_teacher",
                        lambda *args, **kwargs: pytest.fail("the nested refits ran"))
    done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student),
                                     "--out", str(older), "--nested", "--overwrite", "--quiet"])
    assert done.exit_code != 0
    assert done.output.strip().splitlines() == [
        f"error: {student}: line 4: noise.flagged: {inside} lies inside --out {older}, which "
        "distill replaces; move it out first"]
    assert snapshot(older) == before


def stamped_before_files(run):
    """`run` as a run stamped before stamps listed files: --overwrite checks its top level
    only, so what lies in its models/ goes with it unless the config check keeps it."""
    stamp = json.loads((run / STAMP).read_text(encoding="utf-8"))
    (run / STAMP).write_text(json.dumps({k: v for k, v in stamp.items() if k != "files"}),
                             encoding="utf-8")
    return run


def fast_run(folder, qc_demo):
    return runner.train(qc_demo, folder, load_config(FAST_YAML, {
        "folds.k": 2, "model.params.n_features": 2**16, "model.params.n_estimators": 30,
        "model.params.n_jobs": 1}), progress=False).run_dir


def english_table(folder, frame):
    path = folder / "to_en.jsonl"
    path.write_text("".join(json.dumps({"text": q, "source": "es", "target": "en",
                                        "translation": f"en {q}"}) + "\n"
                            for q in frame.df["query"].unique()[:5]), encoding="utf-8")
    return path


@pytest.mark.parametrize("field, make, section", [
    ("data.translator.table", english_table,
     "data:\n  translator:\n    backend: table\n    table: {path}\n"),
    ("data.translator.model", translation_model,
     "data:\n  translator:\n    backend: hf\n    model: {path}\n")])
def test_the_recorded_translators_table_or_model_inside_the_run_replaced_is_refused(
        tmp_path, qc_demo, field, make, section):
    """data.translator names what serve translates a new query with; train does not read it,
    so it was not checked: one in the run's models/ was deleted by --overwrite, and the new
    run's config.yaml named a file that was gone (reproduced: train succeeded, t.jsonl gone)."""

    from shoprel.data.readers import read_pairs

    run = stamped_before_files(fast_run(tmp_path / "run", qc_demo))
    inside = make(run / "models", read_pairs(qc_demo))
    before = snapshot(run)
    config, done = overwrite_with(run, qc_demo, FAST_SMALL + section.format(path=inside))
    assert done.output.strip().splitlines() == [
        f"error: {config}: line 6: {field}: {inside} lies inside --out {run}, which train "
        "replaces; move it out first"]
    assert snapshot(run) == before


def test_a_recorded_translator_cache_inside_the_run_replaced_is_refused(tmp_path, qc_demo):
    """data.translator.cache is serve's SQLite cache, which train neither reads nor writes: a
    user's cache in the run's models/ was deleted by --overwrite (reproduced: 12 KB written by
    `shoprel translate --cache`, gone after train). One that does not exist yet was recorded
    and left to serve to make there, which made it a file the run's stamp does not list (its
    next --overwrite refused); serve now refuses a cache inside a run, so train refuses to
    record one in --out, before any work."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.data.readers import read_pairs

    table = english_table(tmp_path, read_pairs(qc_demo))
    run = stamped_before_files(fast_run(tmp_path / "run", qc_demo))
    cache = run / "models" / "cache.sqlite"
    config = tmp_path / "c.yaml"
    config.write_text(FAST_SMALL + f"data:\n  translator:\n    backend: table\n    table: {table}"
                                   f"\n    cache: {cache}\n")
    args = ["train", str(qc_demo), "--out", str(run), "--config", str(config), "--overwrite",
            "--quiet"]
    before = snapshot(run)
    done = CliRunner().invoke(main, args)  # no cache there yet
    assert (done.exit_code, done.output.strip().splitlines()) == (2, [
        f"error: {config}: line 7: data.translator.cache: {cache} lies inside --out {run}: "
        "serve would make it there, and serve refuses a cache inside a run; name one outside "
        "the run"])
    assert snapshot(run) == before

    cache.write_bytes(b"SQLite format 3\0 a user's translations")
    before = snapshot(run)
    done = CliRunner().invoke(main, args)
    assert done.exit_code != 0
    assert done.output.strip().splitlines() == [
        f"error: {config}: line 7: data.translator.cache: {cache} lies inside --out {run}, "
        "which train replaces; move it out first"]
    assert snapshot(run) == before


def test_a_backbone_folder_of_no_user_is_refused_at_its_line(tmp_path, qc_demo):
    """`backbone: ~nobody/enc` (no such user here) ended train in pathlib's traceback
    "RuntimeError: Could not determine home directory" before the run was written."""
    from click.testing import CliRunner

    from shoprel.cli import main

    config = tmp_path / "c.yaml"
    config.write_text("model:\n  family: cross\n  params: {backbone: ~no-such-user-shoprel/enc}\n")
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(tmp_path / "run"),
                                     "--config", str(config), "--quiet"])
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert " ".join(done.output.split()) == (
        f"error: {config}: line 3: model.params.backbone: ~no-such-user-shoprel/enc: "
        "'~no-such-user-shoprel' is read as a home folder, but no user 'no-such-user-shoprel' "
        "is known here; write the path in full, from /")
    assert not (tmp_path / "run").exists()
