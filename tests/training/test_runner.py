import contextlib
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import f1_score
from tests.conftest import run_report, still_open

from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError, InputError
from shoprel.evaluate.metrics import best_f1_threshold
from shoprel.evaluate.run_metrics import translated_only_languages, translated_only_note
from shoprel.folds.grouped import fold_groups
from shoprel.run.folder import Run
from shoprel.run.layout import (
    CONFIG,
    FOLDS,
    MANIFEST,
    METRICS,
    MODELS,
    OOF,
    REPORT,
    fold_model_name,
)
from shoprel.training import runner
from shoprel.training.config_reading import load_config

# the tests marked reads_report read a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


@pytest.mark.parametrize("task", ["QC", "QI"])
def test_run_directory_is_complete(trained_runs, task):
    run_dir = trained_runs[task]
    for name in (MANIFEST, CONFIG, FOLDS, OOF, METRICS, REPORT):
        assert (run_dir / name).is_file(), name
    models = sorted(p.name for p in (run_dir / MODELS).iterdir())
    assert models == ["fold_0", "fold_1", "fold_2", "full"]
    manifest = json.loads((run_dir / MANIFEST).read_text())
    assert manifest["task"] == task and manifest["predict_models"] == ["full"]
    assert yaml.safe_load((run_dir / CONFIG).read_text())["folds"]["k"] == 3


def test_oof_threshold_and_metrics_agree(trained_runs):
    run = Run.open(trained_runs["QC"])
    oof, metrics = run.oof(), run.metrics()
    assert oof["probability"].between(0, 1).all() and set(oof["fold"]) == {0, 1, 2}
    threshold, f1 = best_f1_threshold(oof["label"], oof["probability"])
    assert run.threshold == pytest.approx(threshold) == metrics["threshold"]
    assert metrics["threshold_selection"]["in_sample"]["f1"] == pytest.approx(f1)
    # the reported F1 cuts each fold at the threshold chosen on the other folds
    y, p = oof["label"].to_numpy(), oof["probability"].to_numpy()
    prediction = np.zeros(len(oof), dtype=int)
    for fold in range(3):
        rest, held = oof["fold"] != fold, oof["fold"] == fold
        cut = best_f1_threshold(y[rest], p[rest])[0]
        assert metrics["threshold_selection"]["fold_thresholds"][str(fold)] == pytest.approx(cut)
        prediction[held] = p[held] >= cut
    assert metrics["overall"]["f1"] == pytest.approx(f1_score(y, prediction))
    assert metrics["overall"]["f1"] <= f1 + 1e-12  # the in-sample cut is the best on these rows
    assert {"query", "target"} <= set(oof.columns)
    assert metrics["overall"]["n"] == len(oof) == 360
    assert set(metrics["per_language"]) == set(oof["language"])
    assert "per_category" in metrics and len(metrics["per_fold"]) == 3
    assert metrics["overall"]["baseline_all_positive_f1"] == pytest.approx(0.8)


def test_saved_folds_are_leak_free(trained_runs, qc_demo):
    folds = pd.read_parquet(trained_runs["QC"] / FOLDS)
    frame = read_pairs(qc_demo)
    assert folds["id"].tolist() == frame.df["id"].tolist()
    assert (folds["group"].to_numpy() == fold_groups(frame)).all()
    assert folds.groupby("group")["fold"].nunique().max() == 1


def test_interrupted_training_leaves_nothing(tmp_path, qc_demo, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "choose_threshold", broken)
    with pytest.raises(KeyboardInterrupt):
        runner.train(qc_demo, tmp_path / "run",
                     load_config(None, {"folds.k": 3, "model.family": "fast"}), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_existing_run_needs_overwrite(trained_runs, qc_demo):
    with pytest.raises(FileExistsError, match="--overwrite"):
        runner.train(qc_demo, trained_runs["QC"], progress=False)


def test_fold_models_only(tmp_path, qi_demo):
    config = load_config(None, {"folds.k": 3, "final.refit_full": False, "model.family": "fast",
                                "model.params.n_estimators": 30, "student": None})
    run_dir = runner.train(qi_demo, tmp_path / "r", config, progress=False).run_dir
    run = Run.open(run_dir)
    assert run.manifest["predict_models"] == ["fold_0", "fold_1", "fold_2"]
    assert len(run.load_models()) == 3


def test_unlabelled_file_is_refused(tmp_path, jsonl, qc_rows):
    for row in qc_rows:
        del row["label"]
    with pytest.raises(InputError, match="field 'label'"):
        runner.train(jsonl(tmp_path / "x.txt", qc_rows), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_oof_probabilities_are_out_of_fold(trained_runs):
    """A fold's OOF scores come from a model that did not train on it: refit fold 0 to check."""
    from shoprel.models.base import RelevanceModel

    run = Run.open(trained_runs["QI"])
    oof = run.oof()
    model = RelevanceModel.load(run.path / MODELS / "fold_0")
    from shoprel.demo import demo_file

    frame = read_pairs(demo_file("QI"))
    valid = np.where(oof["fold"].to_numpy() == 0)[0]
    np.testing.assert_allclose(model.predict_proba(frame.take(valid))[:, 1],
                               oof["probability"].to_numpy()[valid])


def test_embed_family_runs_end_to_end(tmp_path, qc_demo, embed_run):
    """Any registered family trains, saves and predicts through the same run directory. The
    run: the suite's embed_run (runner.train of the embed family on a tiny backbone, 3 folds),
    which this test trained again for itself with the same settings."""
    from shoprel.predict.predictor import predict_file

    run_dir = embed_run
    assert Run.open(run_dir).manifest["model_family"] == "embed"
    result = predict_file(run_dir, qc_demo, tmp_path / "pred.jsonl", progress=False)
    assert result.rows == 360
    oof = Run.open(run_dir).oof()
    assert oof["probability"].between(0, 1).all()


def test_fold_models_read_the_final_model_s_vectors(embed_run, qc_demo):
    """Each fold model keeps its target rank's keys alone, pointing at models/full/index (its
    targets are among the final model's), and its neighbour votes' places among the final
    model's query vectors (its training rows are among the final model's) instead of its own
    copy, and scores its held-out rows as it did in the CV."""
    from safetensors import safe_open

    from shoprel.models.base import RelevanceModel

    frame, oof = read_pairs(qc_demo), Run.open(embed_run).oof()
    with safe_open(str(embed_run / "models" / "full" / "neighbours.safetensors"), "np") as full:
        assert "neighbour_q_distinct" in full.keys()
    for fold in range(3):
        folder = embed_run / "models" / fold_model_name(fold)
        with safe_open(str(folder / "target_rank.safetensors"), "np") as saved:
            assert list(saved.keys()) == ["target_keys"]
            assert saved.metadata() == {"vectors_index": "../full/index"}
        with safe_open(str(folder / "neighbours.safetensors"), "np") as saved:
            assert "neighbour_q_distinct" not in saved.keys()
            assert saved.metadata()["queries_from"] == "../full/neighbours.safetensors"
        held_out = np.where(oof["fold"].to_numpy() == fold)[0]
        scored = RelevanceModel.load(folder).predict_proba(frame.take(held_out))[:, 1]
        assert scored.tobytes() == oof["probability"].to_numpy()[held_out].tobytes()


@pytest.mark.reads_report
def test_biencoder_runs_end_to_end_and_records_each_fit(tmp_path, qc_demo, tiny_backbone):
    """A fine-tuned family's run keeps each fit's training record (held-out curve, kept step)
    in metrics.json and shows it in the report; families without one get neither."""
    pytest.importorskip("torch")
    from shoprel.predict.predictor import predict_file

    frame = read_pairs(qc_demo)
    backbone = tiny_backbone(tmp_path / "bert", [*frame.df["query"], *frame.df["target"]])
    params = {"backbone": str(backbone), "cache_dir": str(tmp_path / "cache"), "max_steps": 6,
              "eval_steps": 2, "tuned_layers": 1, "max_length": 48, "n_threads": 1,
              "learning_rate": 1e-3, "eval_fraction": 0.25}
    config = load_config(None, {"folds.k": 3, "model.family": "biencoder",
                                **{f"model.params.{k}": v for k, v in params.items()}})
    run_dir = runner.train(qc_demo, tmp_path / "run", config, progress=False).run_dir
    fits = json.loads((run_dir / METRICS).read_text())["fine_tuning"]
    assert [f["fit"] for f in fits] == ["fold 0", "fold 1", "fold 2", "final"]
    for fit in fits:
        assert fit["holdout_curve"][0][0] == 0 and fit["steps"] <= 6
        assert fit["holdout_roc_auc_best"] == max(a for _, a in fit["holdout_curve"])
    assert 'id="fine-tuning"' in (run_dir / REPORT).read_text()
    result = predict_file(run_dir, qc_demo, tmp_path / "pred.jsonl", progress=False)
    assert result.rows == 360


@pytest.mark.reads_report
def test_runs_of_models_without_a_training_record_have_none(trained_runs):
    metrics = json.loads((trained_runs["QC"] / METRICS).read_text())
    assert "fine_tuning" not in metrics
    assert 'id="fine-tuning"' not in run_report(trained_runs["QC"])


def _es_to_pt_table(frame, tmp_path):
    """A translation table of the file's Spanish queries into Portuguese ("pt " + query)."""
    spanish = frame.df[frame.df["language"] == "es"]["query"].unique()
    table = tmp_path / "translations.jsonl"
    table.write_text("".join(json.dumps({"text": q, "source": "es", "target": "pt",
                                         "translation": f"pt {q}"}, ensure_ascii=False) + "\n"
                             for q in spanish), encoding="utf-8")
    return table


def test_augmented_rows_train_but_never_validate(tmp_path, qc_demo, fast_fits):
    """Translated copies (es → pt here, from a table) join each fold's training side only."""
    frame = read_pairs(qc_demo)
    table = _es_to_pt_table(frame, tmp_path)
    fitted = fast_fits
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "model.params.n_estimators": 30,
                                "augment.translate": {"pt": "es"}, "augment.backend": "table",
                                "augment.table": str(table)})
    result = runner.train(qc_demo, tmp_path / "run", config, progress=False)
    run = Run.open(result.run_dir)
    oof = run.oof()
    assert sorted(oof["id"]) == sorted(frame.df["id"])  # validation: original rows only
    folds = oof.set_index("id")["fold"]
    for fold, training in enumerate(fitted[:3]):  # the three fold models, then the full one
        added = training[training["augmented"]]
        assert len(added) > 0 and (added["language"] == "pt").all()
        assert added["query"].str.startswith("pt ").all()
        originals = training[~training["augmented"]]
        assert not folds.loc[originals["id"]].eq(fold).any()  # no validation row trained on
    assert result.metrics["data"]["augmented_rows"] == len(fitted[3][fitted[3]["augmented"]])
    assert result.metrics["data"]["augmented_rows"] == (frame.df["language"] == "es").sum()
    # pt has rows of its own: its figures are theirs, and no note calls it translated only
    assert result.metrics["data"]["translated_rows"] == {"pt": 45}
    assert "pt" in result.metrics["per_language"]
    assert translated_only_languages(result.metrics) == {}


def test_copies_asked_with_a_region_count_as_the_language_named(tmp_path, qc_demo, fast_fits):
    """augment.translate {pt-BR: es} tagged its copies 'pt', the file's pt-BR rows 'pt-BR':
    the model learnt the copies as another language than the rows they were made for, and
    metrics.json and the report counted them as pt. They are tagged as written."""
    frame = read_pairs(qc_demo)
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "model.params.n_estimators": 20, "model.params.n_jobs": 1,
                                "augment.translate": {"pt_br": "es"}, "augment.backend": "table",
                                "augment.table": str(_es_to_pt_table(frame, tmp_path))})
    result = runner.train(qc_demo, tmp_path / "run", config, progress=False)
    full = fast_fits[3]
    assert set(full.loc[full["augmented"], "language"]) == {"pt-BR"}
    assert (full.loc[~full["augmented"], "language"] == "pt").sum() == 45  # the file's own
    model = Run.open(result.run_dir).load_models()[0]
    assert "pt-BR" in model.lexical_.languages_  # a language code of its own
    metrics = result.metrics
    assert metrics["data"]["translated_rows"] == {"pt-BR": 45}
    assert translated_only_languages(metrics) == {"pt-BR": [("run", 45)]}
    assert translated_only_note(metrics).startswith(
        "trained on translations only: pt-BR (45 translated rows); ")


def test_a_base_language_and_its_region_make_two_sets_of_copies(tmp_path, qc_demo, fast_fits):
    """{pt: es, pt-BR: es} was refused as one new language, when both tagged their copies pt.
    Tagged pt and pt-BR (and asked es-pt and es-pt_BR), they are two sets of copies, as a
    file's pt and pt-BR rows are two tags: both are made, each counted under its own tag."""
    frame = read_pairs(qc_demo)
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "model.params.n_estimators": 20, "model.params.n_jobs": 1,
                                "augment.translate": {"pt": "es", "pt-BR": "es"},
                                "augment.backend": "table",
                                "augment.table": str(_es_to_pt_table(frame, tmp_path))})
    result = runner.train(qc_demo, tmp_path / "run", config, progress=False)
    full = fast_fits[3]
    copies = full[full["augmented"]]
    assert copies["language"].value_counts().to_dict() == {"pt": 45, "pt-BR": 45}
    assert copies["id"].is_unique and not set(copies["id"]) & set(frame.df["id"])
    assert result.metrics["data"]["translated_rows"] == {"pt": 45, "pt-BR": 45}
    assert result.metrics["data"]["augmented_rows"] == 90


def test_train_notes_that_a_base_language_and_its_region_make_the_same_copies(tmp_path,
                                                                            qc_demo, capsys):
    """{pt: es, pt-BR: es} through a backend with no regional pair (a table) made two identical
    copy sets under two tags without a word. train now notes it before the fits, once;
    progress=False (--quiet) leaves it out."""
    frame = read_pairs(qc_demo)
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "augment.translate": {"pt": "es", "pt-BR": "es"},
                                "augment.backend": "table",
                                "augment.table": str(_es_to_pt_table(frame, tmp_path))})
    with runner.training_side(config, True, frame):
        pass
    assert capsys.readouterr().err == (
        "note: augment.translate: the pt and pt-BR copies of the es rows are the same text, all "
        "translated into pt (the table backend has no regional variants): two identical copy "
        "sets under 2 tags, so each es row trains twice as that text; keep one of those keys, "
        "or use a backend with the regional pair\n")
    with runner.training_side(config, False, frame):
        pass
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("cached", [False, True])
def test_each_distinct_query_is_sent_to_the_backend_once_per_run(tmp_path, qc_demo,
                                                                  table_sends, cached):
    """augment.translate across a run (the route check, every fold's training side, the full
    fit): a QC file repeats each query over categories and each row trains k-1 folds, yet the
    backend hears each distinct query once, a query with no route too; with a cache that
    never stores a missing route as well."""
    from shoprel.folds.grouped import assign_folds

    frame = read_pairs(qc_demo)
    table = _es_to_pt_table(frame, tmp_path)
    spanish = frame.df.loc[frame.df["language"] == "es", "query"]
    unrouted = spanish.iloc[-1]  # dropped from the table: no route (the check stops at the first)
    kept = [line for line in table.read_text(encoding="utf-8").splitlines()
            if json.loads(line)["text"] != unrouted]
    table.write_text("\n".join(kept) + "\n", encoding="utf-8")
    overrides = {"model.family": "fast", "folds.k": 3, "augment.translate": {"pt": "es"},
                 "augment.backend": "table", "augment.table": str(table)}
    if cached:
        overrides["augment.cache"] = str(tmp_path / "tr.sqlite")
    config = load_config(None, overrides)
    folds = assign_folds(frame, 3, config.folds.seed)
    with runner.training_side(config, False, frame) as prepare:
        made = [prepare(frame.take(np.flatnonzero(folds != fold))) for fold in range(3)]
        full = prepare(frame)
    assert len(spanish) == 45 and spanish.nunique() == 39  # repeats to be asked once
    assert sorted(table_sends) == sorted(spanish.unique())
    assert full.stats["translated"] == {"pt": 45 - (spanish == unrouted).sum()}
    assert all(part.stats["augmented"] > 0 for part in made)


@pytest.mark.reads_report
def test_a_language_only_translations_bring_is_named_not_silently_missing(tmp_path, qc_demo):
    """es → th copies (no Thai row in the file) train every fold, but translated rows never
    validate: per_language covers exactly the out-of-fold rows' languages, and metrics.json,
    train's notes and the report say that th was trained on translations only, where it was
    simply missing from the per-language table."""
    frame = read_pairs(qc_demo)
    spanish = frame.df[frame.df["language"] == "es"]["query"].unique()
    table = tmp_path / "translations.jsonl"
    table.write_text("".join(json.dumps({"text": q, "source": "es", "target": "th",
                                         "translation": f"th {q}"}, ensure_ascii=False) + "\n"
                             for q in spanish), encoding="utf-8")
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "model.params.n_estimators": 30, "model.params.n_jobs": 1,
                                "augment.translate": {"th": "es"}, "augment.backend": "table",
                                "augment.table": str(table)})
    result = runner.train(qc_demo, tmp_path / "run", config, progress=False)
    metrics = result.metrics
    oof = Run.open(result.run_dir).oof()
    assert set(metrics["per_language"]) == set(oof["language"]) == set(frame.df["language"])
    assert "th" not in metrics["per_language"]
    assert metrics["data"]["translated_rows"] == {"th": 45}
    assert translated_only_languages(metrics) == {"th": [("run", 45)]}
    assert translated_only_note(metrics).startswith(
        "trained on translations only: th (45 translated rows); ")
    report = (result.run_dir / "report.html").read_text(encoding="utf-8")
    languages = report[report.index('<section id="languages">'):]
    languages = languages[:languages.index("</section>")]
    assert "Trained on translations only: th (45 translated rows)" in languages


def test_translation_pairs_that_would_add_nothing_are_refused(tmp_path, qc_demo):
    """No rows of the source language, or no route in the backend: a ConfigError before any
    fit, not a run trained without the copies it was asked for."""
    table = _es_to_pt_table(read_pairs(qc_demo), tmp_path)
    for pairs, message in (({"it": "xx"}, "augment.translate.it: the training file has no "
                                          "rows in 'xx'"),
                           ({"de": "es"}, "augment.translate.de: the table backend has no "
                                          "route es -> de")):
        config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                    "augment.translate": pairs, "augment.backend": "table",
                                    "augment.table": str(table)})
        with pytest.raises(ConfigError, match=message):
            runner.train(qc_demo, tmp_path / "run", config, progress=False)
        assert not (tmp_path / "run").exists()


def _without(table, queries):
    """The translation table less the lines of these queries (no route for them)."""
    kept = [line for line in table.read_text(encoding="utf-8").splitlines()
            if json.loads(line)["text"] not in set(queries)]
    table.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    return table


def test_a_route_is_refused_only_when_none_of_the_tried_queries_translates(tmp_path, qc_demo,
                                                                          table_sends):
    """The route check tried the first Spanish query alone, so a table lacking only that one
    was refused as "no route es -> pt" although it translates the other 38. It tries up to
    ROUTE_CHECK_QUERIES distinct queries, one at a time, stopping at the first translated."""
    frame = read_pairs(qc_demo)
    spanish = frame.df.loc[frame.df["language"] == "es", "query"]
    first = spanish.iloc[0]
    table = _without(_es_to_pt_table(frame, tmp_path), [first])
    overrides = {"model.family": "fast", "folds.k": 3, "model.params.n_estimators": 20,
                 "model.params.n_jobs": 1, "augment.translate": {"pt": "es"},
                 "augment.backend": "table", "augment.table": str(table)}
    result = runner.train(qc_demo, tmp_path / "run", load_config(None, overrides),
                          progress=False)
    assert result.metrics["data"]["translated_rows"] == {"pt": 45 - (spanish == first).sum()}
    assert table_sends[:2] == [first, spanish.unique()[1]]  # the check stopped at the second

    table_sends.clear()
    table.write_text(json.dumps({"text": "no such query", "source": "es", "target": "pt",
                                 "translation": "pt"}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^augment.translate.pt: the table backend has no "
                                          r"route es -> pt$"):
        runner.train(qc_demo, tmp_path / "refused", load_config(None, overrides),
                     progress=False)
    assert table_sends == list(spanish.unique()[:runner.ROUTE_CHECK_QUERIES])  # a few asks
    assert not (tmp_path / "refused").exists()


def test_a_source_language_of_empty_queries_is_named_not_called_a_missing_route(tmp_path,
                                                                               qc_demo):
    """Spanish rows whose queries are all empty have nothing to translate: the file is named,
    not the backend's routes (an empty query was tried, which the table has no line for)."""
    from shoprel.data.frame import PairFrame

    frame = read_pairs(qc_demo)
    df = frame.df.copy()
    df.loc[df["language"] == "es", "query"] = " "
    config = load_config(None, {"model.family": "fast", "augment.translate": {"pt": "es"},
                                "augment.backend": "table",
                                "augment.table": str(_es_to_pt_table(frame, tmp_path))})
    with pytest.raises(ConfigError, match="^augment.translate.pt: the training file has no "
                                          "rows in 'es' to translate$"):
        with runner.training_side(config, False, PairFrame(frame.task, df, frame.source)):
            pass


def test_the_training_translation_cache_is_closed_when_train_returns(tmp_path, qc_demo,
                                                                    translation_caches):
    """augment.cache's SQLite connection stayed open after train returned, until garbage
    collection; it is closed once the run is written, and when a pair is refused before any
    fit, as `shoprel translate` closes its own."""
    table = _es_to_pt_table(read_pairs(qc_demo), tmp_path)
    overrides = {"model.family": "fast", "folds.k": 3, "model.params.n_estimators": 20,
                 "model.params.n_jobs": 1, "augment.translate": {"pt": "es"},
                 "augment.backend": "table", "augment.table": str(table),
                 "augment.cache": str(tmp_path / "tr.sqlite")}
    result = runner.train(qc_demo, tmp_path / "run", load_config(None, overrides),
                          progress=False)
    assert result.metrics["data"]["translated_rows"] == {"pt": 45}
    assert len(translation_caches) == 1 and not still_open(translation_caches[0])
    refused = {**overrides, "augment.translate": {"de": "es"}}  # the table has no es -> de
    with pytest.raises(ConfigError, match="no route es -> de"):
        runner.train(qc_demo, tmp_path / "refused", load_config(None, refused), progress=False)
    assert len(translation_caches) == 2 and not still_open(translation_caches[1])


def test_a_refused_pair_leaves_no_new_cache_and_an_old_one_as_it_was(tmp_path, qc_demo):
    """augment.cache was made (an empty SQLite file, and the folders above it) before the pairs
    were checked, so a refused pair left a new file behind from a run that never started. One
    the run created and stored nothing in is taken away again; one where the check stored the
    good pair's translations stays for the rerun; a cache that existed before is untouched."""
    table = _es_to_pt_table(read_pairs(qc_demo), tmp_path)

    def refused(cache, pairs):
        config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                    "augment.translate": pairs, "augment.backend": "table",
                                    "augment.table": str(table), "augment.cache": str(cache)})
        with pytest.raises(ConfigError, match="no route es -> de"):
            runner.train(qc_demo, tmp_path / "run", config, progress=False)
        assert not (tmp_path / "run").exists()

    refused(tmp_path / "caches" / "sub" / "new.sqlite", {"de": "es"})
    assert not (tmp_path / "caches").exists()
    kept = tmp_path / "kept.sqlite"
    refused(kept, {"pt": "es", "de": "es"})  # the pt route's first query is stored
    before = kept.read_bytes()
    with contextlib.closing(sqlite3.connect(kept)) as db:
        assert db.execute("SELECT count(*) FROM translations").fetchone() == (1,)
    refused(kept, {"de": "es"})
    assert kept.read_bytes() == before


def test_cross_validate_closes_the_training_side_it_opens(tmp_path, qc_demo,
                                                          translation_caches):
    """Given no training side, cross_validate opens one (with augment.cache) and closes it."""
    from shoprel.folds.grouped import assign_folds

    frame = read_pairs(qc_demo)
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "model.params.n_estimators": 20, "model.params.n_jobs": 1,
                                "augment.translate": {"pt": "es"}, "augment.backend": "table",
                                "augment.table": str(_es_to_pt_table(frame, tmp_path)),
                                "augment.cache": str(tmp_path / "tr.sqlite")})
    oof = runner.cross_validate(frame, config, assign_folds(frame, 3, config.folds.seed),
                                progress=False)
    assert np.isfinite(oof).all()
    assert len(translation_caches) == 1 and not still_open(translation_caches[0])


def test_augment_cache_is_checked_as_translate_cache_is(tmp_path, qc_demo):
    """A cache in the run being written left an orphan folder and a misleading error; one
    named as the run itself was written there, and the run failed in a traceback
    (NotADirectoryError), a cache file left at its path; one in another run made that run
    impossible to --overwrite; one that is the training file..."""
    from shoprel.errors import OutputError

    table = _es_to_pt_table(read_pairs(qc_demo), tmp_path)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / MANIFEST).write_text("{}")
    for cache, message in ((tmp_path / "run" / "tr.sqlite", r"lies inside .*run, the run folder "
                                                            r"being written \(augment.cache\)"),
                           (tmp_path / "run", r"run: is the run folder being written "
                                              r"\(augment.cache\); keep the cache outside it"),
                           (tmp_path / "old" / "tr.sqlite", r"lies inside .*old, a folder "
                                                            "shoprel wrote"),
                           (qc_demo, "is the training file; augment.cache needs a file of its "
                                     "own")):
        config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                    "augment.translate": {"pt": "es"}, "augment.backend": "table",
                                    "augment.table": str(table), "augment.cache": str(cache)})
        with pytest.raises(OutputError, match=message):
            runner.train(qc_demo, tmp_path / "run", config, progress=False)
        assert not (tmp_path / "run").exists() and not (tmp_path / "old" / "tr.sqlite").exists()


def test_a_home_folder_in_augment_paths_is_expanded(tmp_path, monkeypatch):
    """YAML does not expand `~`: the docs' own example made a folder named `~` in the cwd."""
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(None, {"augment.translate": {"pt": "es"}, "augment.backend": "table",
                                "augment.table": "~/t.csv", "augment.cache": "~/c/tr.sqlite"})
    assert config.augment.cache == str(tmp_path / "c" / "tr.sqlite")
    assert config.augment.table == str(tmp_path / "t.csv")


@pytest.mark.parametrize("family", ["embed", "cross", "llm"])
def test_a_local_backbone_path_with_a_typo_is_named_as_a_missing_folder(tmp_path, qc_demo,
                                                                         monkeypatch, family):
    """It was 'not a model folder, a built-in or a Hugging Face id', naming no key."""
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {"model.family": family, "folds.k": 2, "student": None,
                                "model.params.backbone": "./models/tapt"})
    with pytest.raises(ConfigError) as info:
        runner.train(qc_demo, tmp_path / "run", config, progress=False)
    assert str(info.value) == (f"model.params.backbone './models/tapt': no such folder "
                               f"({tmp_path / 'models' / 'tapt'}); a local model folder must "
                               "exist (a built-in: e5-small, gemma3-270m, embeddinggemma-300m, "
                               "use-multilingual)")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("family", ["embed", "cross", "llm", "biencoder"])
def test_a_backbone_folder_transformers_cannot_load_is_one_line(tmp_path, qc_demo, family):
    """A config.json and weights that will not parse failed in a safetensors traceback."""
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "bert", "hidden_size": 8, "num_attention_heads": 2,
        "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 30}))
    (folder / "model.safetensors").write_text("not weights")
    config = load_config(None, {"model.family": family, "folds.k": 2, "student": None,
                                "model.params.backbone": str(folder)})
    with pytest.raises(ConfigError) as info:
        runner.train(qc_demo, tmp_path / "run", config, progress=False)
    assert str(info.value).startswith(f"model.params.backbone {str(folder)!r}: cannot load "
                                      f"{folder} (SafetensorError: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken"]


def test_translation_stages_of_a_few_rows_draw_no_bars(tmp_path, qc_demo, capsys):
    """With augment.cache, every fold after the first found its rows cached and drew an empty
    'translate→pt: 0text' bar inside the folds bar (and each fold a bar for a few dozen rows)."""
    table = _es_to_pt_table(read_pairs(qc_demo), tmp_path)
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "model.params.n_estimators": 30, "model.params.n_jobs": 1,
                                "augment.translate": {"pt": "es"}, "augment.backend": "table",
                                "augment.table": str(table),
                                "augment.cache": str(tmp_path / "tr.sqlite")})
    runner.train(qc_demo, tmp_path / "run", config, progress=True)
    err = capsys.readouterr().err
    assert "QC folds: 3/3 [" in err  # the run's own bar is drawn
    assert "translate" not in err, err


def test_the_final_fit_draws_a_bar_of_its_own(tmp_path, qc_demo, capsys, monkeypatch):
    """After the folds' bar reached 100%, the final fit on all rows ran without a word: on a
    shared 2-core machine the default's took 432 s of an 800-row QI run (the folds 198 s)."""
    config = load_config(None, {"model.family": "fast", "folds.k": 2,
                                "model.params.n_estimators": 30, "model.params.n_jobs": 1})
    monkeypatch.delenv("COLUMNS", raising=False)  # a log's 80 columns (progress.LOG_WIDTH)
    runner.train(qc_demo, tmp_path / "run", config, progress=True)
    err = capsys.readouterr().err.replace("\r", "\n")
    assert "QC final fit (360 rows): 100%" in err
    # a log's folds bar keeps one format from its first line to its last: its first line and
    # those between folds drew tqdm's bar and rate ('QC folds:  50%|█████     | 1/2 [00:00<00:00,
    # 3.10it/s]'), its step lines the compact counts
    folds = [line.rstrip() for line in err.splitlines() if line.startswith("QC folds:")]
    assert folds[0] == "QC folds: 0/2 [00:00<?]" and folds[-1].startswith("QC folds: 2/2 ["), folds
    assert "QC folds: 0/2 [00:00<?, fold 0: fitting]" in folds, folds
    assert all(len(line) < 80 and "|" not in line and "it/s" not in line for line in folds), folds
    runner.train(qc_demo, tmp_path / "quiet", config, progress=False)
    assert "final fit" not in capsys.readouterr().err


def test_a_fold_and_the_final_fit_name_their_steps_on_their_bars(tmp_path, qc_demo,
                                                                  tiny_backbone, capsys,
                                                                  monkeypatch):
    """`shoprel train` of the default embed family sat on "QC folds: 1/5" for over 8 minutes
    a fold (feature blocks over inner folds, three boosters, without a word): each bar's line
    now names the step it waits for; progress off (--quiet) draws none of them."""
    from click.testing import CliRunner

    from shoprel.cli import main

    frame = read_pairs(qc_demo)
    backbone = tiny_backbone(tmp_path / "bert", [*frame.df["query"], *frame.df["target"]])
    params = {"backbone": str(backbone), "cache_dir": str(tmp_path / "cache"),
              "n_features": 2**14, "n_estimators": 20, "n_jobs": 1}
    config = load_config(None, {"folds.k": 2, "model.family": "embed",
                                **{f"model.params.{k}": v for k, v in params.items()}})
    monkeypatch.setenv("COLUMNS", "200")  # a log this wide keeps every prefix and step whole
    runner.train(qc_demo, tmp_path / "run", config, progress=True)
    drawn = [line.rstrip() for line in capsys.readouterr().err.replace("\n", "\r").split("\r")]
    folds = [line for line in drawn if line.startswith("QC folds:")]
    for fold in (0, 1):  # numbered as folds.parquet and models/fold_0 number them
        steps = [line.rsplit(f"fold {fold}: ", 1)[1][:-1] for line in folds
                 if f"fold {fold}: " in line]
        trees = [step for step in steps if ", tree " in step]  # every 2 of the 20 trees
        assert trees[:3] == ["boosters 1/3, tree 2/20", "boosters 1/3, tree 4/20",
                             "boosters 1/3, tree 6/20"], trees
        assert len(trees) == 3 * 9 and trees[-1] == "boosters 3/3, tree 18/20", trees
        # a step drawn again is still one step: on a slow machine the encoder's loading note
        # ("loading encoder ... (transformers)...", said when the load outlasts its delay) is
        # written above the bar, which draws its line again below it
        steps = [step for i, step in enumerate(steps)
                 if step not in trees and (i == 0 or step != steps[i - 1])]
        assert steps == ["fitting", "embedding", "embedding level names", "lexical features",
                         "neighbour votes",
                         "node profiles", "learned similarity", "target rank", "boosters 1/3",
                         "boosters 2/3", "boosters 3/3", "scoring held-out rows",
                         "scoring far pairs", "saving"]
    assert folds[-1].startswith("QC folds: 2/2 [") and ", fold" not in folds[-1], folds[-1]
    named = sorted({int(line.rsplit(", fold ", 1)[1].split(":")[0]) for line in folds
                    if ", fold " in line})  # the folds the bar named, as the run numbers them
    assert named == sorted(set(pd.read_parquet(tmp_path / "run" / "folds.parquet")["fold"]))
    assert [f"fold_{fold}" for fold in named] == sorted(
        p.name for p in (tmp_path / "run" / "models").glob("fold_*"))
    final = [line for line in drawn if line.startswith("QC final fit (360 rows)")]
    assert [line for line in final if line.endswith(", boosters 2/3]")], final
    assert final[-1].startswith("QC final fit (360 rows): 100%"), final
    assert "boosters" not in final[-1], final  # a finished bar names no step

    path = tmp_path / "embed.yaml"
    path.write_text(yaml.safe_dump({"folds": {"k": 2},
                                    "model": {"family": "embed", "params": params}}))
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(tmp_path / "quiet"),
                                     "--config", str(path), "--quiet"])
    assert done.exit_code == 0, done.output
    assert "fold 0" not in done.output and "boosters" not in done.output
    assert "QC folds" not in capsys.readouterr().err


def test_a_fold_s_embedding_draws_its_bars_under_the_step_that_embeds(tmp_path, qc_demo,
                                                                      tiny_backbone, capsys,
                                                                      monkeypatch):
    """A default fold embedding 1,500 real rows' 500 new texts sat 10 s on "fold 0: embedding"
    and 15 s on "scoring held-out rows" with no count (an encoder's bar came from 1,000 texts
    on), then drew "embedding passages" for the category level names under "lexical
    features": inside a fit every embedding pass that lasts draws its bar, after the step
    that asked for it; --quiet draws none."""
    from shoprel.utils import progress

    frame = read_pairs(qc_demo)
    backbone = tiny_backbone(tmp_path / "bert", [*frame.df["query"], *frame.df["target"]])
    config = load_config(None, {"folds.k": 2, "model.family": "embed",
                                "model.params.backbone": str(backbone),
                                "model.params.cache_dir": str(tmp_path / "cache"),
                                "model.params.n_features": 2**14,
                                "model.params.n_estimators": 10, "model.params.n_jobs": 1,
                                "final.refit_full": False})
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(progress, "EAGER_DELAY", 0.0)  # the tiny encoder's passes "last"
    runner.train(qc_demo, tmp_path / "run", config, progress=True)
    lines = [line.rstrip() for line in capsys.readouterr().err.replace("\r", "\n").split("\n")]
    shown = [line.split(": ", 1)[0] if line.startswith("embedding ")
             else line.rsplit("fold 0: ", 1)[1][:-1] for line in lines
             if line.startswith("embedding ") or "fold 0: " in line]
    shown = [step for i, step in enumerate(shown) if i == 0 or step != shown[i - 1]]
    fold_0 = shown[:shown.index("scoring far pairs")]
    assert [s for s in fold_0 if not s.startswith("boosters")] == [
        "fitting", "embedding", "embedding queries", "embedding passages",
        "embedding level names", "embedding passages", "lexical features", "neighbour votes",
        "node profiles", "learned similarity", "target rank", "scoring held-out rows",
        "embedding queries", "embedding passages"], fold_0

    runner.train(qc_demo, tmp_path / "quiet", config, progress=False)
    assert capsys.readouterr().err == ""


def test_a_biencoder_fold_draws_its_encoder_bars_under_the_step_that_runs_them(
        tmp_path, qc_demo, tiny_backbone, capsys, monkeypatch):
    """A bi-encoder fold runs its new texts through the lower layers under "fitting" and its
    held-out rows' new texts through the whole encoder under "scoring held-out rows": both
    drew a bar only from 1,000 texts on (the scoring none at all), so a fold's few hundred
    sat on a still folds bar. Inside a fit each pass that lasts draws its bar, after the
    step that asked for it; --quiet draws none."""
    pytest.importorskip("torch")
    from shoprel.models.biencoder.states import forget
    from shoprel.utils import progress

    forget()  # a new process: states kept by an earlier test's fit would leave nothing to run
    frame = read_pairs(qc_demo)
    backbone = tiny_backbone(tmp_path / "bert", [*frame.df["query"], *frame.df["target"]])
    params = {"backbone": str(backbone), "cache_dir": str(tmp_path / "cache"), "max_steps": 2,
              "eval_steps": 2, "tuned_layers": 1, "max_length": 48, "n_threads": 1}
    config = load_config(None, {"folds.k": 2, "model.family": "biencoder",
                                "final.refit_full": False,
                                **{f"model.params.{k}": v for k, v in params.items()}})
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(progress, "EAGER_DELAY", 0.0)  # the tiny encoder's passes "last"
    runner.train(qc_demo, tmp_path / "run", config, progress=True)
    lines = [line.rstrip() for line in capsys.readouterr().err.replace("\r", "\n").split("\n")]
    passes = ("lower layers of ", "embedding ", "tuning top layers")
    shown = [line.split(": ", 1)[0] if line.startswith(passes)
             else line.rsplit("fold 0: ", 1)[1][:-1] for line in lines
             if line.startswith(passes) or "fold 0: " in line]
    shown = [step for i, step in enumerate(shown) if i == 0 or step != shown[i - 1]]
    assert shown[:shown.index("saving") + 1] == [
        "fitting", "lower layers of queries", "lower layers of targets", "tuning top layers",
        "scoring held-out rows", "embedding queries", "embedding targets", "scoring far pairs",
        "saving"], shown
    counts = [line.split(": ", 1)[1].split(" ", 1)[0] for line in lines
              if line.startswith(("lower layers of ", "embedding ")) and " 0/" not in line]
    assert all(int(done) == int(total) < 1000 for done, total in
               (count.split("/") for count in counts)), counts  # a fold's few hundred texts

    runner.train(qc_demo, tmp_path / "quiet", config, progress=False)
    assert capsys.readouterr().err == ""


class _AskedTargets:
    """A translator answering each text with the target it was asked, and recording it."""

    def __init__(self):
        self.asked = []

    def translate(self, texts, source_langs, target):
        self.asked.append(target)
        return [f"{target}: {text}" for text in texts]


def test_a_run_recorded_before_regional_pairs_refits_its_copies_through_the_base_pair(
        tmp_path, jsonl):
    """augment.translate {pt-BR: es} made copies through Apertium's es-pt before regional
    pairs and through es-pt_BR since: a refit of an older run (distill --nested reads its
    config.yaml) made copies unlike those it trained on. Its config.yaml records no
    augment.regional_pairs and is read as asking the base language; a new one asks the
    region, and tags the copies as written (pt-BR), where the older run's were tagged pt."""
    frame = read_pairs(jsonl(tmp_path / "qc.jsonl", [
        {"id": 1, "language": "es", "origin_query": "autobús de juguete",
         "category_path": "toys", "label": 1}]))
    path = tmp_path / "config.yaml"
    path.write_text("model: {family: fast}\naugment: {translate: {pt-BR: es}}\n")

    def copies(config):
        translator = _AskedTargets()
        with runner.training_side(config, progress=False, frame=frame,
                                  translator_for=lambda _: translator) as side:
            made = side(frame).df
        return set(translator.asked), made.loc[made["augmented"], ["language", "query"]]

    asked, made = copies(load_config(path, saved=True))
    assert asked == {"pt"} and made.values.tolist() == [["pt", "pt: autobús de juguete"]]
    asked, made = copies(load_config(path))
    assert asked == {"pt-br"} and made.values.tolist() == [
        ["pt-BR", "pt-br: autobús de juguete"]]
