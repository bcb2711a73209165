"""A served run trained on two-language rows scores like `predict` on the same rows: with the
pairs' own translated_query, with its recorded translator when they send none, and on bare
queries (said in the response and the log) when it has no translator."""

import json
import logging
import os
import re
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from tests.conftest import reports_deferred

from shoprel.augment.table import TableTranslator
from shoprel.augment.translate_file import translate_file_with
from shoprel.data.readers import read_pairs
from shoprel.demo import demo_file
from shoprel.predict.predictor import Predictor
from shoprel.serve import ServeSettings, create_app
from shoprel.training.config_reading import load_config
from shoprel.training.runner import train

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

ROWS = 120
SETTINGS = ServeSettings(max_pairs=400, max_text_chars=500, max_wait_ms=20)


@pytest.fixture(scope="module")
def two_language(tmp_path_factory):
    """(run trained on translated queries with a recorded table translator, its translated
    training file, the same rows without translations)."""
    root = tmp_path_factory.mktemp("two-language")
    rows = [json.loads(x) for x in demo_file("QC").read_text(encoding="utf-8").splitlines()]
    bare = root / "bare.jsonl"
    bare.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:ROWS]),
                    encoding="utf-8")
    table = root / "translations.jsonl"
    table.write_text("".join(json.dumps({"text": r["origin_query"], "source": r["language"],
                                         "target": "en",
                                         "translation": f"english {r['origin_query']}"},
                                        ensure_ascii=False) + "\n"
                             for r in rows if r["language"] != "en"), encoding="utf-8")
    translated = root / "translated.jsonl"
    translate_file_with(bare, translated, TableTranslator(table))  # as `shoprel translate` does
    config = load_config(None, {"model.family": "fast", "model.params.n_features": 2**16,
                                "model.params.n_estimators": 40, "model.params.n_jobs": 1,
                                "folds.k": 3, "final.keep_fold_models": False,
                                "data.translator": {"backend": "table", "table": str(table)}})
    with reports_deferred():  # module-scoped: no_report_charts (each test's) came after
        run = train(translated, root / "run", config, progress=False).run_dir
    return run, translated, bare


def _pairs(path, with_translation: bool) -> list[dict]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        pair = {"query": r["origin_query"], "category_path": r["category_path"],
                "language": r["language"]}
        if with_translation:
            pair["translated_query"] = r["translated_query"]
        pairs.append(pair)
    return pairs


def _score(start_server, run, pairs) -> dict:
    with start_server(create_app(run, SETTINGS)) as live:
        response = httpx.post(live.url + "/v1/score", json={"pairs": pairs}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _predicted(run, path) -> np.ndarray:
    return Predictor(run).probabilities(read_pairs(path))


def _probabilities(body) -> np.ndarray:
    return np.array([r["probability"] for r in body["results"]])


def test_served_two_language_run_scores_like_predict(two_language, start_server):
    run, translated, _ = two_language
    expected = _predicted(run, translated)
    sent = _score(start_server, run, _pairs(translated, with_translation=True))
    assert sent["bare_queries"] == 0
    np.testing.assert_allclose(_probabilities(sent), expected, rtol=0, atol=1e-12)
    # no translated_query in the request: the run's recorded translator makes the same ones
    made = _score(start_server, run, _pairs(translated, with_translation=False))
    assert made["bare_queries"] == 0
    np.testing.assert_allclose(_probabilities(made), expected, rtol=0, atol=1e-12)


def test_without_a_translator_bare_queries_are_said(two_language, start_server, tmp_path,
                                                   caplog):
    run, translated, bare = two_language
    copy = shutil.copytree(run, tmp_path / "run")
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["data"]["translator"] = None
    (copy / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.warns(UserWarning, match="shoprel translate"):
        expected = _predicted(copy, bare)
    with caplog.at_level(logging.WARNING, logger="shoprel.serve"):
        body = _score(start_server, copy, _pairs(translated, with_translation=False))
    assert body["bare_queries"] == ROWS
    assert np.abs(expected - _predicted(run, translated)).max() > 1e-3  # translations matter
    assert f"scored {ROWS} of {ROWS} pairs on bare queries" in caplog.text
    np.testing.assert_allclose(_probabilities(body), expected, rtol=0, atol=1e-12)
    # a pair that brings its translation is read with it even then
    one = _score(start_server, copy, _pairs(translated, with_translation=True)[:1])
    assert one["bare_queries"] == 0


def test_a_run_on_bare_queries_ignores_translations(qc_run, start_server, qc_demo):
    pairs = _pairs(qc_demo, with_translation=False)[:5]
    plain = _score(start_server, qc_run, pairs)
    sent = _score(start_server, qc_run, [{**p, "translated_query": "something else"}
                                         for p in pairs])
    assert plain["bare_queries"] == sent["bare_queries"] == 0
    assert _probabilities(plain).tolist() == _probabilities(sent).tolist()


@pytest.fixture(scope="module")
def translated_ensemble(two_language, tmp_path_factory):
    """runs/ens, the mean of runs/a (the two-language run) and runs/b (another member on the
    same rows): its run.json stores them as ../a and ../b."""
    from shoprel.ensemble.runner import build_ensemble

    run, translated, _ = two_language
    folder = tmp_path_factory.mktemp("translated-ensemble") / "runs"
    member = shutil.copytree(run, folder / "a")
    changed = folder.parent / "other.yaml"
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["model"]["params"]["n_estimators"] = 20  # another member on the same rows
    changed.write_text(yaml.safe_dump(config))
    with reports_deferred():
        other = train(translated, folder / "b", load_config(changed), progress=False)
        build_ensemble([member, other.run_dir], folder / "ens", method="mean")
    return folder / "ens"


def test_an_ensemble_of_translated_runs_translates_with_its_members_translator(
        two_language, translated_ensemble, start_server):
    """The ensemble's own config.yaml is no run config: the members' recorded translator is
    found, as for a run served alone."""
    _, translated, _ = two_language
    expected = _predicted(translated_ensemble, translated)
    made = _score(start_server, translated_ensemble, _pairs(translated, with_translation=False))
    assert made["bare_queries"] == 0
    np.testing.assert_allclose(_probabilities(made), expected, rtol=0, atol=1e-12)


def test_a_members_broken_config_is_named_as_its_other_messages_name_it(
        translated_ensemble, tmp_path, monkeypatch):
    """The members' config.yaml are read through the ensemble (runs/ens/../a); a broken one
    was named so, while every other member message says runs/a/config.yaml."""
    from shoprel.errors import ConfigError

    shutil.copytree(translated_ensemble.parent, tmp_path / "runs")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "a" / "config.yaml").write_text("model: {family: fast\n")
    with pytest.raises(ConfigError) as caught:
        create_app("runs/ens", SETTINGS)
    assert str(caught.value).startswith("runs/a/config.yaml: not valid YAML: "), caught.value


def _member_recording(translated, folder, translator: dict, **params):
    """A member trained on the two-language rows whose config.yaml records `translator`."""
    config = load_config(None, {"model.family": "fast", "model.params.n_features": 2**16,
                                "model.params.n_estimators": 20, "model.params.n_jobs": 1,
                                **{f"model.params.{k}": v for k, v in params.items()},
                                "folds.k": 3, "final.keep_fold_models": False,
                                "data.translator": translator})
    return train(translated, folder, config, progress=False).run_dir


def test_an_ensemble_whose_members_record_different_translators_is_not_served(
        translated_ensemble, tmp_path, monkeypatch):
    """Members trained on queries translated two ways: serve translated every pair with the
    first member's recorded translator for all of them, so the second read translations
    unlike its training rows; now it refuses at start, naming each member's record."""
    from shoprel.errors import RunDirError

    runs = shutil.copytree(translated_ensemble.parent, tmp_path / "runs")
    monkeypatch.chdir(tmp_path)
    # recorded since the ensemble was built (building it so is refused)
    config = yaml.safe_load((runs / "b" / "config.yaml").read_text())
    table = config["data"]["translator"]["table"]
    config["data"]["translator"] = {"backend": "apertium", "to": "en"}
    (runs / "b" / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(RunDirError) as caught:
        create_app("runs/ens", SETTINGS)
    assert str(caught.value) == (
        f"runs/ens: its runs read queries translated by different translators "
        f"(runs/a/config.yaml: table {table} to en; runs/b/config.yaml: apertium to en) and "
        "serve makes one translation of a pair for all of them: serve the runs apart, or "
        "train them on queries translated one way (data.translator)")


def test_members_recording_one_translator_two_ways_are_served_with_it(
        two_language, translated_ensemble, start_server, tmp_path, monkeypatch):
    """The same table named by a relative path, behind another cache, is one translator."""
    from shoprel.ensemble.runner import build_ensemble

    _, translated, _ = two_language
    runs = shutil.copytree(translated_ensemble.parent, tmp_path / "runs")
    monkeypatch.chdir(tmp_path)
    config = yaml.safe_load((runs / "b" / "config.yaml").read_text())
    table = Path(config["data"]["translator"]["table"])
    config["data"]["translator"].update(table=os.path.relpath(table, tmp_path),
                                        cache=str(tmp_path / "other.sqlite"))
    (runs / "b" / "config.yaml").write_text(yaml.safe_dump(config))
    build_ensemble([runs / "a", runs / "b"], runs / "ens2", method="mean")
    made = _score(start_server, runs / "ens2", _pairs(translated, with_translation=False))
    assert made["bare_queries"] == 0
    np.testing.assert_allclose(_probabilities(made), _predicted(runs / "ens2", translated),
                               rtol=0, atol=1e-12)


def test_a_member_on_bare_queries_does_not_lend_its_translator(
        two_language, translated_ensemble, start_server, tmp_path):
    """A first member whose models ignore translations (use_translation: false) but whose
    config.yaml records another table lent that table to the member that reads them: its
    pairs were read with translations it never trained on. Now only the runs that read
    translations say how they are made, and the ensemble scores like predict."""
    from shoprel.ensemble.runner import build_ensemble

    _, translated, _ = two_language
    other = tmp_path / "other.jsonl"
    other.write_text("".join(
        json.dumps({"text": r["origin_query"], "source": r["language"], "target": "en",
                    "translation": "zzz qqq"}, ensure_ascii=False) + "\n"
        for r in map(json.loads, translated.read_text(encoding="utf-8").splitlines())
        if r["language"] != "en"), encoding="utf-8")
    bare = _member_recording(translated, tmp_path / "bare",
                             {"backend": "table", "table": str(other)}, use_translation=False)
    build_ensemble([bare, translated_ensemble.parent / "a"], tmp_path / "ens", method="mean")
    made = _score(start_server, tmp_path / "ens", _pairs(translated, with_translation=False))
    assert made["bare_queries"] == 0
    np.testing.assert_allclose(_probabilities(made), _predicted(tmp_path / "ens", translated),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_recorded_translator_that_cannot_be_made_fails_at_start_naming_the_config_line(
        two_language, tmp_path, never_served, workers):
    """A run whose recorded translation table has gone started serving, then answered every
    pair sent without a translated_query with a 500 and a traceback in the log; now the
    server does not start, and says which line of the run's config.yaml records it."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve
    from shoprel.errors import ConfigError

    run, _, _ = two_language
    copy = shutil.copytree(run, tmp_path / "run")
    text = (copy / "config.yaml").read_text()
    gone = tmp_path / "gone.jsonl"
    table = yaml.safe_load(text)["data"]["translator"]["table"]
    (copy / "config.yaml").write_text(text.replace(table, str(gone)))
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip() == "translator:")
    result = CliRunner().invoke(serve, [str(copy), "--port", "0", "--workers", str(workers)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == (
        f"{copy / 'config.yaml'}: line {line}: data.translator: serve cannot make the run's "
        f"translator ({gone}: file not found); it translates the queries sent without a "
        "translated_query")


def test_a_recorded_translator_cache_inside_a_run_is_refused_at_start(two_language, tmp_path,
                                                                      never_served):
    """serve creates and writes the recorded translator's SQLite cache wherever its path
    points: inside the served run, or another, it became a file the run's stamp does not list,
    and that run's next `train --overwrite` was refused ('holds serve.sqlite, which shoprel
    did not write there'). Refused at start-up now, as `translate --cache` and augment.cache
    are, at the config.yaml line, with nothing made."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve
    from shoprel.errors import ConfigError

    run, _, _ = two_language
    copy = shutil.copytree(run, tmp_path / "run")
    other = shutil.copytree(run, tmp_path / "other")
    text = (copy / "config.yaml").read_text()
    unset = "    cache: null"  # data.translator's (augment's is indented less)
    line = text.splitlines().index(unset) + 1
    for cache, holder in ((copy / "serve.sqlite", copy),
                          (other / "models" / "serve.sqlite", other)):
        (copy / "config.yaml").write_text(text.replace(unset, f"    cache: {cache}", 1))
        result = CliRunner().invoke(serve, [str(copy), "--port", "0"])
        assert isinstance(result.exception, ConfigError), result.output
        assert str(result.exception) == (
            f"{copy / 'config.yaml'}: line {line}: data.translator.cache (serve writes the "
            f"translations of new queries there): {cache}: lies inside {holder}, a folder "
            "shoprel wrote (a run, an index or a backbone); writing there would change it; "
            "keep the cache outside it (or give serve --translator-cache FILE, a cache "
            "elsewhere)")
        assert not cache.exists()


def _recording_cache_inside(run, folder) -> tuple[Path, Path]:
    """(a copy of `run` whose config.yaml records data.translator.cache inside the copy, that
    cache's path)."""
    copy = shutil.copytree(run, folder)
    inside = copy / "serve.sqlite"
    text = (copy / "config.yaml").read_text()
    (copy / "config.yaml").write_text(text.replace("    cache: null", f"    cache: {inside}", 1))
    return copy, inside


def test_translator_cache_serves_a_run_whose_recorded_cache_lies_inside_it(
        two_language, tmp_path, monkeypatch, start_server):
    """A run recording its translator's cache inside itself (a copied run) was refused, and
    editing its config.yaml was the only way out; `serve --translator-cache FILE` keeps the
    cache elsewhere, leaves the run as it is, and translates as the recorded cache would."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve
    from shoprel.serve import server

    run, translated, _ = two_language
    copy, inside = _recording_cache_inside(run, tmp_path / "run")
    config = (copy / "config.yaml").read_bytes()
    elsewhere = tmp_path / "caches" / "serve.sqlite"
    apps = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kwargs: apps.append(app))
    result = CliRunner().invoke(serve, [str(copy), "--port", "0",
                                        "--translator-cache", str(elsewhere)])
    assert result.exit_code == 0 and len(apps) == 1, result.output
    with start_server(apps[0]) as live:
        response = httpx.post(live.url + "/v1/score", timeout=60,
                              json={"pairs": _pairs(translated, with_translation=False)})
    assert response.status_code == 200, response.text
    assert response.json()["bare_queries"] == 0
    np.testing.assert_allclose(_probabilities(response.json()), _predicted(run, translated),
                               rtol=0, atol=1e-12)
    assert elsewhere.is_file() and not inside.exists()
    assert (copy / "config.yaml").read_bytes() == config


@pytest.mark.parametrize("workers", [1, 2])
def test_a_translator_cache_inside_a_run_is_refused_as_translate_cache_is(
        two_language, tmp_path, never_served, workers):
    """--translator-cache is checked as `translate --cache` is: not inside a run, the served
    one or another, with nothing made."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve
    from shoprel.errors import OutputError

    run, _, _ = two_language
    copy = shutil.copytree(run, tmp_path / "run")
    cache = copy / "models" / "serve.sqlite"
    result = CliRunner().invoke(serve, [str(copy), "--port", "0", "--workers", str(workers),
                                        "--translator-cache", str(cache)])
    assert isinstance(result.exception, OutputError), result.output
    assert str(result.exception) == (
        f"{cache}: lies inside {copy}, a folder shoprel wrote (a run, an index or a backbone); "
        "writing there would change it; keep the cache outside it")
    assert not cache.exists()


def test_a_translator_cache_that_is_no_cache_is_named_not_the_config_line(
        two_language, tmp_path, never_served):
    """A data file given as --translator-cache is said as `translate --cache` says it, not as
    the run's config.yaml line recording the translator, which is not at fault."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve
    from shoprel.errors import InputError

    run, translated, _ = two_language
    data = tmp_path / "rows.jsonl"
    data.write_bytes(translated.read_bytes())
    result = CliRunner().invoke(serve, [str(run), "--port", "0", "--translator-cache", str(data)])
    assert isinstance(result.exception, InputError), result.output
    assert str(result.exception) == (f"{data}: not a translation cache (file is not a "
                                     "database); give a new file name or a cache shoprel wrote")
    assert data.read_bytes() == translated.read_bytes()


def test_a_translator_cache_for_a_run_serve_translates_nothing_for_is_refused(
        two_language, qc_run, tmp_path, never_served):
    """Given where serve makes no translations (bare-query models, or no recorded
    translator), --translator-cache would read as applied: refused in one line."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve
    from shoprel.errors import ConfigError

    run, _, _ = two_language
    unrecorded = shutil.copytree(run, tmp_path / "unrecorded")
    config = yaml.safe_load((unrecorded / "config.yaml").read_text())
    config["data"]["translator"] = None
    (unrecorded / "config.yaml").write_text(yaml.safe_dump(config))
    cache = tmp_path / "serve.sqlite"
    for served, why in ((qc_run, "the run's models read no translated queries"),
                        (unrecorded, "the run records no translator (config.yaml "
                                     "data.translator)")):
        result = CliRunner().invoke(serve, [str(served), "--port", "0",
                                            "--translator-cache", str(cache)])
        assert isinstance(result.exception, ConfigError), result.output
        assert str(result.exception) == (f"--translator-cache: {why}, so serve makes no "
                                         "translations; leave the option out")
    assert not cache.exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_translated_run_without_its_config_is_not_served_bare(two_language, tmp_path,
                                                                never_served, workers):
    """A run trained on translated queries whose config.yaml was deleted (or never copied)
    was served on bare queries, as if it recorded no translator; now the server does not
    start, and says which file is missing."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve
    from shoprel.errors import RunDirError

    run, _, _ = two_language
    copy = shutil.copytree(run, tmp_path / "run")
    (copy / "config.yaml").unlink()
    result = CliRunner().invoke(serve, [str(copy), "--port", "0", "--workers", str(workers)])
    assert isinstance(result.exception, RunDirError)
    assert str(result.exception) == (
        f"{copy / 'config.yaml'}: missing; the run's models read translated queries and only "
        "this file says which translator makes them for pairs sent without a translated_query "
        "(data.translator): put it back")


def test_a_run_on_bare_queries_is_served_without_its_config(qc_run, start_server, qc_demo,
                                                            tmp_path):
    copy = shutil.copytree(qc_run, tmp_path / "run")
    (copy / "config.yaml").unlink()
    body = _score(start_server, copy, _pairs(qc_demo, with_translation=False)[:3])
    assert body["bare_queries"] == 0 and len(body["results"]) == 3


@pytest.fixture(scope="module")
def two_language_student(two_language, tmp_path_factory):
    """A run trained on translated queries, carrying a student, whose own config.yaml records
    no translator while its student's records the table the training file was made with."""
    from tests.conftest import FAST_STUDENT

    run, translated, _ = two_language
    config = load_config(run / "config.yaml", {"student": FAST_STUDENT})
    with reports_deferred():
        carrier = train(translated, tmp_path_factory.mktemp("student") / "run", config,
                        progress=False).run_dir
    saved = yaml.safe_load((carrier / "config.yaml").read_text())
    saved["data"]["translator"] = None
    (carrier / "config.yaml").write_text(yaml.safe_dump(saved))
    return carrier


def test_a_cascade_translates_with_its_students_recorded_translator(
        two_language, two_language_student, start_server):
    """serve --scorer cascade read the full run's config.yaml alone: a student recording its
    translator scored pairs sent without a translated_query bare, as --scorer student did
    not; now the cascade uses the student's record too and scores like predict on them."""
    from shoprel.predict.predictor import open_predictor

    _, translated, _ = two_language
    pairs = _pairs(translated, with_translation=False)
    expected = open_predictor(two_language_student, scorer="cascade").probabilities(
        read_pairs(translated))
    for scorer in ("student", "cascade"):
        settings = SETTINGS.model_copy(update={"scorer": scorer})
        with start_server(create_app(two_language_student, settings)) as live:
            body = httpx.post(live.url + "/v1/score", json={"pairs": pairs}, timeout=60).json()
        assert body["bare_queries"] == 0, scorer
    np.testing.assert_allclose(_probabilities(body), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scorer", ["student", "cascade"])
def test_a_translated_student_without_its_config_is_not_served_bare(
        two_language_student, tmp_path, scorer):
    """The student's config.yaml gone: --scorer student refused to serve it, while --scorer
    cascade served its pairs bare as if it recorded no translator; now both refuse."""
    from shoprel.errors import RunDirError

    copy = shutil.copytree(two_language_student, tmp_path / "run")
    (copy / "student" / "config.yaml").unlink()
    gone = copy / "student" / "config.yaml"
    with pytest.raises(RunDirError, match=f"^{re.escape(str(gone))}: missing; the run's models "
                                          "read translated queries"):
        create_app(copy, SETTINGS.model_copy(update={"scorer": scorer}))


def test_a_cascade_whose_student_records_another_translator_is_not_served(
        two_language, two_language_student, tmp_path):
    """The student read with the full run's translations (or they with its): refused too."""
    from shoprel.errors import RunDirError

    run, _, _ = two_language
    copy = shutil.copytree(two_language_student, tmp_path / "run")
    full = yaml.safe_load((copy / "config.yaml").read_text())
    full["data"]["translator"] = yaml.safe_load((run / "config.yaml").read_text())["data"][
        "translator"]
    (copy / "config.yaml").write_text(yaml.safe_dump(full))
    student = yaml.safe_load((copy / "student" / "config.yaml").read_text())
    student["data"]["translator"] = {"backend": "apertium", "to": "en"}
    (copy / "student" / "config.yaml").write_text(yaml.safe_dump(student))
    with pytest.raises(RunDirError, match=(
            f"^{re.escape(str(copy))}: its runs read queries translated by different "
            f"translators \\({re.escape(str(copy / 'student' / 'config.yaml'))}: apertium to en; "
            f"{re.escape(str(copy / 'config.yaml'))}: table ")):
        create_app(copy, SETTINGS.model_copy(update={"scorer": "cascade"}))


def _recording_apertium_to(run, folder, **more) -> Path:
    """A copy of `run` whose config.yaml records Apertium into Brazilian Portuguese (`more`:
    other data.translator fields; without regional_pairs, a run recorded before them)."""
    copy = shutil.copytree(run, folder)
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["data"]["translator"] = {"backend": "apertium", "to": "pt-BR", **more}
    (copy / "config.yaml").write_text(yaml.safe_dump(config))
    return copy


def _served_translations(run, queries, translator=None) -> list[str]:
    """What serve gives the run's models for Spanish queries sent without translations."""
    import asyncio

    from shoprel.serve.translation import QueryTranslation

    made = QueryTranslation(Predictor(run), translator)
    try:
        filled, bare = asyncio.run(made.fill(list(queries), ["es"] * len(queries),
                                             [None] * len(queries)))
    finally:
        made.close()
    assert bare == 0
    return filled


class _Echo:
    """A translator answering each text with the target it was asked."""

    def translate(self, texts, source_langs, target):
        return [f"{target}: {text}" for text in texts]


def test_a_run_recorded_before_regional_pairs_is_served_its_base_language_s_pair(
        two_language, tmp_path):
    """`translate --to pt-BR` took Apertium's es-pt before regional pairs and es-pt_BR since;
    serve asked a run trained on es-pt's translations for es-pt_BR's. A run's config.yaml
    now records which (data.translator.regional_pairs); one recording none was trained
    before them and is served the base language's pair, as its training file was made."""
    run, _, _ = two_language
    older = _recording_apertium_to(run, tmp_path / "older")
    newer = _recording_apertium_to(run, tmp_path / "newer", regional_pairs=True)
    assert _served_translations(older, ["autobús"], _Echo()) == ["pt: autobús"]
    assert _served_translations(newer, ["autobús"], _Echo()) == ["pt-br: autobús"]


def test_regional_pairs_are_served_as_recorded_with_real_apertium(two_language, tmp_path):
    """The same through Apertium itself: European Portuguese for the older run, as its
    training file had, Brazilian for the one recording es-pt_BR's."""
    from shoprel.augment.apertium import ApertiumTranslator
    from shoprel.augment.translator import TranslationError

    try:
        installed = ApertiumTranslator().model.split(",")
    except TranslationError:
        pytest.skip("Apertium is not installed")
    if not {"es-pt", "es-pt_BR"} <= set(installed):
        pytest.skip("no es-pt_BR pair: install apertium-es-pt")
    run, _, _ = two_language
    older = _recording_apertium_to(run, tmp_path / "older")
    newer = _recording_apertium_to(run, tmp_path / "newer", regional_pairs=True)
    assert "autocarro" in _served_translations(older, ["autobús de juguete"])[0]
    assert "ônibus" in _served_translations(newer, ["autobús de juguete"])[0]


def test_serve_says_once_at_start_up_that_a_region_s_pair_is_missing(two_language, tmp_path,
                                                                     monkeypatch):
    """A run recording Apertium into a region whose pair is not installed (es-pt_PT: Apertium
    has none) was served the base language's translations (es-pt) without a word, where
    `translate --to pt-PT` warns: serve says translate's warning once, before it listens,
    whatever the number of workers, and no request repeats it."""
    from shoprel.augment.apertium import ApertiumTranslator
    from shoprel.augment.translator import TranslationError
    from shoprel.serve import server

    try:
        installed = ApertiumTranslator().model.split(",")
    except TranslationError:
        pytest.skip("Apertium is not installed")
    if "es-pt" not in installed or "es-pt_PT" in installed:
        pytest.skip("needs es-pt and no es-pt_PT")
    run, _, _ = two_language
    copy = _recording_apertium_to(run, tmp_path / "run", to="pt-PT", regional_pairs=True)
    monkeypatch.setattr(server.uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(server.ClosingSupervisor, "run", lambda self, *args, **kwargs: None)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # the workers' settings
    for workers in (1, 2):
        said = []
        server.run_server(copy, SETTINGS, port=0, workers=workers, warn=said.append)
        assert len(said) == 1, said
        assert re.fullmatch(r"warning: no Apertium pair into pt-PT \(es-pt_PT not installed; "
                            r"`apertium -l` lists the pairs\): rows from (\w+, )*es(, \w+)* "
                            r"by es-pt are translated into pt", said[0]), said[0]
    assert _served_translations(copy, ["autobús de juguete"])[0] == "autocarro de brinquedo"
    base = _recording_apertium_to(run, tmp_path / "base", to="pt-PT", regional_pairs=False)
    said = []
    server.run_server(base, SETTINGS, port=0, warn=said.append)  # asks pt itself: nothing to say
    assert said == []


def test_the_region_warning_covers_every_language_the_run_trained_on_and_api_callers(
        two_language, tmp_path, monkeypatch):
    """serve checked the routes into a recorded regional target from the training languages
    alone: a language the run trained on only as augment.translate copies ({ca: es}), whose
    queries serve translates too, was never checked. create_app (the Python API) said
    nothing at all; it now warns (RegionFallbackWarning), and `shoprel serve`, which says it
    in its own `warning:` line, does not say it twice."""
    import warnings

    from shoprel.serve import RegionFallbackWarning, server

    run, translated, _ = two_language
    rows = read_pairs(translated).df
    assert "ca" not in set(rows["language"])
    table = tmp_path / "ca.jsonl"
    table.write_text("".join(json.dumps({"text": q, "source": "es", "target": "ca",
                                         "translation": f"ca {q}"}, ensure_ascii=False) + "\n"
                             for q in rows.loc[rows["language"] == "es", "query"].unique()),
                     encoding="utf-8")
    config = load_config(run / "config.yaml", {"augment.translate": {"ca": "es"},
                                               "augment.backend": "table",
                                               "augment.table": str(table)})
    augmented = train(translated, tmp_path / "augmented", config, progress=False).run_dir
    copy = _recording_apertium_to(augmented, tmp_path / "run", to="pt-PT", regional_pairs=True)
    asked = []

    class Regional(_Echo):
        """Routes into pt-PT that end on a plain pair for Catalan alone."""

        def unmet_region(self, source, target):
            asked.append(source)
            return "xx-pt" if source == "ca" else None

    monkeypatch.setattr("shoprel.augment.backends.make_translator",
                        lambda *args, **kwargs: Regional())
    said = ("no Apertium pair into pt-PT (xx-pt_PT not installed; `apertium -l` lists the "
            "pairs): rows from ca by xx-pt are translated into pt")
    with pytest.warns(RegionFallbackWarning) as caught:
        create_app(copy, SETTINGS)
    assert [str(w.message) for w in caught] == [said]
    assert set(asked) == set(rows["language"]) | {"ca"}

    monkeypatch.setattr(server.uvicorn, "run", lambda *args, **kwargs: None)
    printed = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegionFallbackWarning)
        server.run_server(copy, SETTINGS, port=0, warn=printed.append)
    assert printed == [f"warning: {said}"]


def test_a_blank_translated_query_counts_as_none(two_language, start_server, tmp_path):
    """A pair sending translated_query "" (or blanks) was scored on its bare query, neither
    translated by the run's translator nor counted in bare_queries; predict reads such a cell
    as no translation (and says so)."""
    run, translated, _ = two_language
    blank = [{**p, "translated_query": text} for p, text in
             zip(_pairs(translated, with_translation=False), ["", "   "] * ROWS, strict=False)]
    made = _score(start_server, run, blank)
    assert made["bare_queries"] == 0
    np.testing.assert_allclose(_probabilities(made), _predicted(run, translated), rtol=0,
                               atol=1e-12)
    copy = shutil.copytree(run, tmp_path / "run")
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["data"]["translator"] = None
    (copy / "config.yaml").write_text(yaml.safe_dump(config))
    assert _score(start_server, copy, blank[:4])["bare_queries"] == 4
