"""Region-tagged rows ('fr-FR', 'pt_BR') are scored as their base language when the run was
trained on that base and not on the tag itself."""

import json

import numpy as np
import pandas as pd

from shoprel import Scorer
from shoprel.data.readers import read_pairs
from shoprel.predict import languages
from shoprel.predict.languages import as_trained, unseen_counts
from shoprel.predict.predictor import open_predictor, predict_file


def test_a_tag_the_training_rows_lacked_becomes_its_base_language():
    tags = ["fr-fr", "pt_br", "en-us", "pt-br", "xx-yy", "unk", "fr"]
    assert as_trained(tags, {"fr", "pt", "en"}).tolist() == [
        "fr", "pt", "en", "pt", "xx-yy", "unk", "fr"]
    # a run trained on both regions keeps them apart, and a base it lacked is no region's
    assert as_trained(["pt-br", "pt-pt", "pt", "pt_br", "pt-ao"], {"pt-br", "pt-pt"}).tolist() \
        == ["pt-br", "pt-pt", "pt", "pt-br", "pt-ao"]
    assert as_trained(["fr-fr"], None).tolist() == ["fr-fr"]
    assert unseen_counts(tags, {"fr", "pt", "en"}) == {"xx-yy": 1, "unk": 1}
    assert unseen_counts(tags, None) == {}


def test_a_run_trained_on_one_region_scores_its_base_and_other_regions_as_it():
    """A run trained on 'pt-BR' rows (and none 'pt') counted 'pt' and 'pt-PT' rows as a
    language absent from the training file, warned that its cross-validation said nothing
    about them, and scored them without its Portuguese label rates."""
    known = {"pt-br", "en", "unk"}
    assert as_trained(["pt", "pt-pt", "PT_br", "pt-br", "en-gb", "es"], known).tolist() == [
        "pt-br", "pt-br", "pt-br", "pt-br", "en", "es"]
    assert unseen_counts(["pt", "pt_pt", "es", "xx"], known) == {"es": 1, "xx": 1}
    # two regions of a base: 'pt' is neither, as before
    assert unseen_counts(["pt"], {"pt-br", "pt-pt"}) == {"pt": 1}


def test_a_run_trained_on_an_older_spelling_scores_the_tag_as_it():
    """Rows are read 'pt-BR' and 'vi' now; a run trained when they were read 'pt-br' and
    'vn' beside 'pt-pt' scored them as no language it knew (two regions of 'pt': neither)."""
    known = {"pt-br", "pt-pt", "vn", "en"}
    assert as_trained(["pt-BR", "pt-PT", "vi", "pt", "en-US"], known).tolist() == [
        "pt-br", "pt-pt", "vn", "pt", "en"]
    assert unseen_counts(["pt-BR", "vi", "pt"], known) == {"pt": 1}


def test_a_withdrawn_code_and_its_successor_are_one_language_to_a_run():
    """A run trained on 'he' counted 'iw' rows as a language absent from its training file,
    and one trained on 'iw' (Java's Locale) counted 'he' rows so; likewise 'in' and 'id'.
    Either is scored as the tag the run has, a region as its base."""
    assert unseen_counts(["iw", "iw-IL", "in", "jw", "mo"], {"he", "id", "jv", "ro"}) == {}
    assert as_trained(["iw", "iw-IL", "in_ID"], {"he", "id"}).tolist() == ["he", "he", "id"]
    # a run trained before 'iw' was read as 'he' keeps its own tag for today's 'he' rows
    assert as_trained(["he", "he-IL", "id"], {"iw", "in"}).tolist() == ["iw", "iw", "in"]
    assert unseen_counts(["he", "yi", "xx"], {"iw", "ji"}) == {"xx": 1}


def test_predict_and_scorer_score_fr_fr_as_fr(tmp_path, trained_runs, qc_demo):
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["language"] in ("fr", "pt")]
    regions = [{**r, "language": {"fr": "fr-FR", "pt": "pt_BR"}[r["language"]]} for r in rows]
    for name, table in (("base.jsonl", rows), ("regions.jsonl", regions)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in table))
    base = predict_file(trained_runs["QC"], tmp_path / "base.jsonl", tmp_path / "a.jsonl",
                        progress=False)
    region = predict_file(trained_runs["QC"], tmp_path / "regions.jsonl", tmp_path / "b.jsonl",
                          progress=False)
    assert region.new_languages == {} and region.positives == base.positives
    a, b = (pd.read_json(tmp_path / n, lines=True) for n in ("a.jsonl", "b.jsonl"))
    np.testing.assert_array_equal(b["probability"], a["probability"])
    assert set(b["language"]) == {"fr-FR", "pt-BR"}  # written back as every command reads them

    scorer = Scorer(trained_runs["QC"])
    np.testing.assert_allclose(scorer.probabilities(regions), scorer.probabilities(rows))
    assert scorer.unseen_languages == {}
    scorer.probabilities([{**rows[0], "language": "xx-FR"}])
    assert scorer.unseen_languages == {"xx-FR": 1}


def counted_mappings(monkeypatch) -> list[int]:
    """The rows of each mapping of tags (languages.moved_tags) made from now on."""
    calls = []
    own = languages.moved_tags
    monkeypatch.setattr(languages, "moved_tags",
                        lambda tags, known: calls.append(len(tags)) or own(tags, known))
    return calls


def test_a_chunk_has_its_tags_mapped_once(trained_runs, student_run, qc_demo, tmp_path,
                                          monkeypatch):
    """predict_file mapped a chunk's tags up to three times (to count the new languages, to
    score, to cut); a cascade's models once more each. It maps them once per chunk."""
    frame = read_pairs(qc_demo)
    codes = sorted(set(frame.df["language"]))
    table = {"global": 0.5, "languages": {code: {"threshold": 0.3 + 0.1 * i}
                                          for i, code in enumerate(codes)}}
    calls = counted_mappings(monkeypatch)
    done = predict_file(trained_runs["QC"], qc_demo, tmp_path / "p.jsonl", chunk_rows=100,
                        progress=False)
    assert done.rows == 360 and calls == [100, 100, 100, 60]
    for predictor in (open_predictor(trained_runs["QC"]),
                      open_predictor(student_run, scorer="cascade", cascade_share=0.5)):
        full = getattr(predictor, "full", predictor)
        monkeypatch.setitem(full.run.manifest, "language_thresholds", table)
        expected = (predictor.probabilities(frame), predictor.row_thresholds(frame))
        calls.clear()
        got = predictor.probabilities_and_cuts(frame)
        assert calls == [360], type(predictor).__name__
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
        assert len(set(got[1])) > 1


def test_scorer_maps_a_chunks_tags_once(trained_runs, student_run, qc_demo, monkeypatch):
    """Scorer mapped each chunk's tags twice: to count its new languages, then again to score
    (and to cut). It counts from the frame it scores, as predict_file does."""
    frame = pd.read_json(qc_demo, lines=True, dtype=False)
    rows = frame.assign(language=frame["language"].replace({"fr": "fr-FR"}))
    rows.loc[rows.index[:3], "language"] = "xx"
    for scorer in (Scorer(trained_runs["QC"]),
                   Scorer(student_run, scorer="cascade", cascade_share=0.5)):
        expected = scorer.probabilities(frame)
        calls = counted_mappings(monkeypatch)
        np.testing.assert_array_equal(scorer.probabilities(rows[3:]), expected[3:])
        table = scorer.score(rows)
        assert calls == [357, 360], scorer.scorer
        np.testing.assert_array_equal(table["probability"].to_numpy()[3:],
                                      np.round(expected[3:], 6))
        assert scorer.unseen_languages == {"xx": 3}


def _real_rows(real_qc, n: int) -> list[dict]:
    with open(real_qc, encoding="utf-8") as lines:
        return [json.loads(next(lines)) for _ in range(n)]


def _write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


def test_a_tag_the_run_trained_on_as_copies_is_scored_as_itself(tmp_path, real_qc,
                                                                 no_report_charts):
    """A run trained on 'pt' rows and augment.translate {pt-BR: es} copies (tagged 'pt-BR')
    scored test rows tagged 'pt-BR' as 'pt': moved_tags knew only the languages the
    out-of-fold rows had, so the copies' own tag was never read. It is a tag the run trained
    on, so those rows keep it; its cross-validation never scored one, so they are still
    counted as new and named as trained on only as translated rows."""
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    rows = _real_rows(real_qc, 460)
    training, held = rows[:400], [r for r in rows[400:] if r["language"] == "pt"]
    assert {"pt", "es"} <= {r["language"] for r in training} and len(held) >= 5
    _write_jsonl(tmp_path / "train.jsonl", training)
    _write_jsonl(tmp_path / "table.jsonl", [
        {"text": q, "source": "es", "target": "pt", "translation": f"br {q}"}
        for q in {r["origin_query"] for r in training if r["language"] == "es"}])
    config = load_config("configs/fast.yaml", {
        "folds.k": 3, "model.params.n_jobs": 1, "augment.translate": {"pt-BR": "es"},
        "augment.backend": "table", "augment.table": str(tmp_path / "table.jsonl")})
    run = train(tmp_path / "train.jsonl", tmp_path / "run", config, progress=False).run_dir

    _write_jsonl(tmp_path / "pt.jsonl", held)
    _write_jsonl(tmp_path / "br.jsonl", [{**r, "language": "pt-BR"} for r in held])
    predictor = open_predictor(run)
    assert set(predictor.as_trained(read_pairs(tmp_path / "br.jsonl")).df["language"]) \
        == {"pt-BR"}
    as_pt, as_br = (predict_file(run, tmp_path / f"{name}.jsonl", tmp_path / f"{name}.out.jsonl",
                                 progress=False) for name in ("pt", "br"))
    assert as_pt.new_languages == {} and as_pt.translated_only == []
    assert as_br.new_languages == {"pt-BR": len(held)} and as_br.translated_only == ["pt-BR"]
    pt, br = (pd.read_json(tmp_path / f"{n}.out.jsonl", lines=True) for n in ("pt", "br"))
    assert not np.allclose(pt["probability"], br["probability"])  # the copies' features read
    scorer = Scorer(run)
    np.testing.assert_allclose(scorer.probabilities([{**r, "language": "pt-BR"} for r in held]),
                               br["probability"], atol=1e-6)
    assert scorer.unseen_languages == {"pt-BR": len(held)}
