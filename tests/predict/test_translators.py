"""Runs that read translations made by different translators do not score together: predict
and Scorer refuse them as serve does (the input's one translated_query reaches all of them)."""

import shutil
from pathlib import Path

import pytest
import yaml
from tests.conftest import fake_run

from shoprel.ensemble.runner import build_ensemble
from shoprel.errors import RunDirError
from shoprel.predict.predictor import predict_file
from shoprel.run.writer import RunWriter

# a second translator for the same rows: what a member trained on another file records
APERTIUM = {"backend": "apertium", "to": "en"}


def _record(folder: Path, translator: dict | None) -> Path:
    """The run's config.yaml recording `translator` as data.translator."""
    config = yaml.safe_load((folder / "config.yaml").read_text())
    config["data"]["translator"] = translator
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def _recording(source: Path, folder: Path, translator: dict | None, second: int) -> Path:
    """A copy of `source`, named as its folder, whose config.yaml records `translator` as
    data.translator (another run to an ensemble: another name and creation time)."""
    fake_run(source, folder, name=folder.name, created=f"2026-01-01T00:00:0{second}+00:00")
    return _record(folder, translator)


@pytest.fixture
def two_translators(translated_run, tmp_path, monkeypatch) -> tuple[Path, dict]:
    """runs/ens over runs/a (a table translator) and runs/b (Apertium, recorded since the
    ensemble was built: it is refused then), relative to the working folder; the table's
    record."""
    run, _ = translated_run
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(RunWriter, "report", lambda self, metrics, table: None)
    table = {"backend": "table", "table": str(run.parent / "t.jsonl"), "to": "en"}
    _recording(run, Path("runs/a"), table, 1)
    _recording(run, Path("runs/b"), table, 2)
    build_ensemble([Path("runs/a"), Path("runs/b")], Path("runs/ens"))
    _record(Path("runs/b"), APERTIUM)
    return Path("runs/ens"), table


def test_predict_refuses_an_ensemble_whose_members_record_different_translators(
        translated_run, two_translators, tmp_path):
    """predict gave the input file's one translated_query column to both members, so one of
    them read translations unlike its training rows, with no word; serve refused the same
    ensemble. Now predict and Scorer refuse it as serve does, naming each member's record,
    before any model loads and before any output is written."""
    import shoprel

    ensemble, table = two_translators
    translated = translated_run[0].parent / "translated.jsonl"
    said = (f"runs/ens: its runs read queries translated by different translators "
            f"(runs/a/config.yaml: table {table['table']} to en; runs/b/config.yaml: apertium "
            "to en) and {} with the runs apart, or train them on queries translated one way "
            "(data.translator)")
    with pytest.raises(RunDirError) as caught:
        predict_file(ensemble, translated, tmp_path / "out.jsonl", progress=False)
    assert str(caught.value) == said.format(
        "the input file's one translated_query column reaches all of them: predict")
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(RunDirError) as caught:
        shoprel.Scorer(ensemble)
    assert str(caught.value) == said.format("each pair's one translated_query reaches all of "
                                            "them: score")


def test_an_ensemble_of_members_recording_different_translators_is_not_built(
        two_translators):
    """`shoprel ensemble` combined them into an ensemble predict and serve refuse: refused
    when it is built, naming each member's record, and nothing written."""
    ensemble, table = two_translators
    with pytest.raises(RunDirError) as caught:
        build_ensemble([Path("runs/a"), Path("runs/b")], Path("runs/ens2"))
    assert str(caught.value) == (
        f"runs/ens2: its runs read queries translated by different translators "
        f"(runs/a/config.yaml: table {table['table']} to en; runs/b/config.yaml: apertium to "
        "en) and predict and serve would give all of them one translated query per pair: "
        "combine runs that read one translator's, or train them on queries translated one "
        "way (data.translator)")
    assert not Path("runs/ens2").exists()


def test_members_that_agree_or_record_none_are_predicted(translated_run, tmp_path,
                                                         monkeypatch):
    """One translator written two ways (another cache), or a member recording none (it reads
    whatever the file holds), is no mix: predicted as before."""
    run, _ = translated_run
    monkeypatch.setattr(RunWriter, "report", lambda self, metrics, table: None)
    a = _recording(run, tmp_path / "a", {**APERTIUM, "cache": str(tmp_path / "a.sqlite")}, 1)
    b = _recording(run, tmp_path / "b", {**APERTIUM, "cache": str(tmp_path / "b.sqlite")}, 2)
    c = _recording(run, tmp_path / "c", None, 3)
    build_ensemble([a, b, c], tmp_path / "ens")
    result = predict_file(tmp_path / "ens", run.parent / "translated.jsonl",
                          tmp_path / "out.jsonl", progress=False)
    assert result.rows > 0 and result.bare_rows == 0


def test_one_target_asked_with_and_without_its_region_is_two_translators(tmp_path):
    """A member recorded before regional pairs (Apertium's es-pt for pt-BR) and one recorded
    since (es-pt_BR) read different Portuguese: refused together, the older one said so."""
    from shoprel.predict.translators import refuse_a_mix
    from shoprel.training.config_reading import load_config

    path = tmp_path / "config.yaml"
    path.write_text("data: {translator: {backend: apertium, to: pt-BR}}\n")
    older = load_config(path, saved=True).data.translator
    newer = load_config(path).data.translator
    refuse_a_mix(Path("ens"), [(newer, Path("a")), (newer, Path("b"))], "they clash")
    with pytest.raises(RunDirError) as caught:
        refuse_a_mix(Path("ens"), [(older, Path("a")), (newer, Path("b"))], "they clash")
    assert str(caught.value).startswith(
        "ens: its runs read queries translated by different translators (a: apertium to pt-BR "
        "without its region (regional_pairs: false); b: apertium to pt-BR) and they clash, or ")


@pytest.mark.parametrize("how", [{"nested": True}, {"unlabeled": ["unlabelled.jsonl"]}])
def test_distill_refuses_such_a_teacher_before_any_fit(translated_run, two_translators, how):
    """A nested refit and the scoring of unlabelled pairs give every member one translated
    query column too: an ensemble made before build refused the mix is refused by distill,
    before the teacher is refitted or loaded."""
    from shoprel.training.config_reading import load_config
    from shoprel.training.distill import distill

    ensemble, _ = two_translators
    shutil.copy(translated_run[0].parent / "translated.jsonl", "unlabelled.jsonl")
    config = load_config(None, {"model.family": "fast", "model.params.n_jobs": 1})
    with pytest.raises(RunDirError, match=r"^runs/ens: its runs read queries translated by "
                                          r"different translators \(runs/a/config.yaml: .* the "
                                          r"teacher's refits and its scoring of unlabelled"):
        distill(ensemble, config, Path("student"), progress=False, **how)
    assert not Path("student").exists()
