"""`--scorer cascade`: the student scores every pair, the full model the least sure queries."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError
from shoprel.predict.cascade import SCORERS, distance_cut, logit, nearest_by_query
from shoprel.predict.predictor import Predictor, open_predictor, predict_file

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

# every door a scorer's name comes in, with SCORERS given one name more before they load
SCORER_DOORS = """
import json
import click
from shoprel.run import students
students.SCORERS = (*students.SCORERS, "oracle")
from shoprel.cli.options import scorer_option
from shoprel.predict.cascade import SCORERS
from shoprel.serve.schemas import ModelInfo
from shoprel.serve.settings import ServeSettings
option = scorer_option()(click.command()(lambda scorer: None)).params[0]
print(json.dumps({
    "scorers": list(SCORERS),
    "cli": list(option.type.choices),
    "settings": ServeSettings.model_json_schema()["properties"]["scorer"]["enum"],
    "response": ModelInfo.model_json_schema()["properties"]["scorer"]["enum"],
    "taken": [ServeSettings(scorer="oracle").scorer, ModelInfo(
        name="r", trained_name="r", task="QC", family="f", version="v",
        scorer="oracle").scorer],
}))
"""


def test_every_door_takes_exactly_the_scorers_cascade_names():
    """--scorer, serve's settings and its response spelled the names by hand: a scorer added
    to SCORERS would have been refused by each. All three now read SCORERS (and the OpenAPI
    schema still lists the names)."""
    out = subprocess.run([sys.executable, "-c", SCORER_DOORS], capture_output=True, text=True,
                         check=True)
    doors = json.loads(out.stdout)
    grown = doors.pop("scorers")
    assert sorted(grown) == sorted([*SCORERS, "oracle"])
    assert doors == {"cli": grown, "settings": grown, "response": grown,
                     "taken": ["oracle", "oracle"]}


def test_the_distance_cut_takes_whole_queries_nearest_first():
    queries = pd.Series(["a", "b", "a", "c", "b", "d"])
    distance = np.array([0.9, 0.1, 0.05, 2.0, 3.0, 0.5])  # nearest: a 0.05, b 0.1, d 0.5, c 2
    np.testing.assert_array_equal(nearest_by_query(queries, distance),
                                  [0.05, 0.1, 0.05, 2.0, 0.1, 0.5])
    assert distance_cut(queries, distance, 0.3) == 0.05  # a: 2 of 6 rows
    assert distance_cut(queries, distance, 0.34) == 0.1  # then b
    assert distance_cut(queries, distance, 0.9) == 2.0
    assert distance_cut(queries, distance, 1.0) == np.inf
    assert distance_cut(pd.Series([], dtype=object), np.zeros(0), 0.5) == np.inf


def test_cascade_rows_come_from_the_model_that_scored_them(student_run, qc_demo):
    frame = read_pairs(qc_demo)
    cascade = open_predictor(student_run, scorer="cascade", cascade_share=0.5)
    student, full = Predictor(student_run, scorer="student"), Predictor(student_run)
    got = cascade.probabilities(frame)
    p_student, p_full = student.probabilities(frame), full.probabilities(frame)
    distance = np.abs(logit(p_student) - logit(student.threshold))
    unsure = nearest_by_query(frame.df["query"], distance) <= cascade.cut
    assert 0 < unsure.sum() < len(frame) and cascade.rescored == unsure.sum()
    np.testing.assert_allclose(got[unsure], p_full[unsure], atol=1e-12)
    # the others keep the student's decision, moved onto the full model's scale
    kept = ~unsure
    assert not np.isclose(got[kept], p_full[kept], atol=1e-6).all()
    np.testing.assert_array_equal(got[kept] >= full.threshold,
                                  p_student[kept] >= student.threshold)
    np.testing.assert_allclose(logit(got[kept]) - logit(full.threshold),
                               logit(p_student[kept]) - logit(student.threshold), atol=1e-9)
    # a query's fate is its own: its rows scored with other queries', the same scores
    pieces = open_predictor(student_run, scorer="cascade", cascade_share=0.5)
    codes = pd.factorize(frame.df["query"])[0]
    for part in (codes % 2 == 0, codes % 2 == 1):
        rows = np.flatnonzero(part)
        np.testing.assert_allclose(pieces.probabilities(frame.take(rows)), got[rows],
                                   atol=1e-12)


def counted_cut_calls(cascade, monkeypatch) -> list[str]:
    """The names of the cascade's models ("student", "full") in the order their per-row cuts
    are worked out, filled as the cascade scores."""
    calls = []
    for name in ("student", "full"):
        model = getattr(cascade, name)
        monkeypatch.setattr(model, "thresholds_as_trained",
                            lambda tags, own=model.thresholds_as_trained, name=name:
                            calls.append(name) or own(tags))
    return calls


def test_a_cascade_chunk_works_out_each_models_cuts_once(student_run, qc_demo, monkeypatch):
    frame = read_pairs(qc_demo)
    expected = open_predictor(student_run, scorer="cascade", cascade_share=0.5)
    cascade = open_predictor(student_run, scorer="cascade", cascade_share=0.5)
    languages = sorted(set(frame.df["language"]))  # per-language cuts: each row its own
    for predictor in (expected, cascade):
        monkeypatch.setitem(predictor.full.run.manifest, "language_thresholds", {
            "global": 0.5, "languages": {code: {"threshold": 0.3 + 0.1 * i}
                                         for i, code in enumerate(languages)}})
    calls = counted_cut_calls(cascade, monkeypatch)
    table = cascade.submission(frame)
    assert sorted(calls) == ["full", "student"]
    p, cuts = expected.probabilities(frame), expected.row_thresholds(frame)
    assert len(set(cuts)) == len(languages) > 1
    np.testing.assert_array_equal(table["probability"], np.round(p, 6))
    np.testing.assert_array_equal(table["prediction"], (p >= cuts).astype(np.int64))
    assert cascade.rescored == expected.rescored > 0


def test_cascade_share_one_is_the_full_model(student_run, qc_demo, tmp_path):
    done = CliRunner().invoke(main, ["predict", str(student_run), str(qc_demo), "--out",
                                     str(tmp_path / "c.jsonl"), "--scorer", "cascade",
                                     "--cascade-share", "1", "--quiet"])
    assert done.exit_code == 0, done.output
    assert "it rescored 360 of the student's rows" in done.output
    predict_file(student_run, qc_demo, tmp_path / "full.jsonl", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    full = [json.loads(line) for line in (tmp_path / "full.jsonl").read_text().splitlines()]
    assert [r["prediction"] for r in rows] == [r["prediction"] for r in full]
    np.testing.assert_allclose([r["probability"] for r in rows],
                               [r["probability"] for r in full], atol=1e-6)


@pytest.mark.parametrize("share", ["0", "1.5", "-0.2"])
def test_a_share_outside_0_to_1_is_one_clear_error(student_run, qc_demo, tmp_path, share):
    done = CliRunner().invoke(main, ["predict", str(student_run), str(qc_demo), "--out",
                                     str(tmp_path / "c.jsonl"), "--scorer", "cascade",
                                     "--cascade-share", share])
    assert done.exit_code == 2 and "--cascade-share" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "c.jsonl").exists()


def test_the_ray_engine_refuses_the_cascade(student_run, qc_demo, tmp_path):
    from shoprel.predict.ray_engine import predict_file_ray

    with pytest.raises(ConfigError, match="--engine local only"):
        predict_file_ray(student_run, qc_demo, tmp_path / "r.jsonl", scorer="cascade")


def _exposed(text: str, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == name)


def test_serve_scores_with_the_cascade(student_run, qc_demo):
    from fastapi.testclient import TestClient

    from shoprel.serve import ServeSettings, create_app

    frame = read_pairs(qc_demo).take(range(60))
    expected = open_predictor(student_run, scorer="cascade", cascade_share=0.5)
    pairs = [{"id": r.id, "query": r.query, "category_path": r.target, "language": r.language}
             for r in frame.df.itertuples()]
    settings = ServeSettings(scorer="cascade", cascade_share=0.5)
    with TestClient(create_app(student_run, settings)) as client:
        body = client.post("/v1/score", json={"pairs": pairs}).json()
        metrics = client.get("/metrics").text
    np.testing.assert_allclose([r["probability"] for r in body["results"]],
                               expected.probabilities(frame), atol=1e-12)
    assert body["threshold"] == pytest.approx(expected.threshold)
    assert body["model"]["scorer"] == "cascade"
    # /metrics counts the pairs the full model rescored, as predict prints them
    assert 0 < expected.rescored < len(frame)
    assert _exposed(metrics, "shoprel_pairs_rescored_total") == expected.rescored


def test_serve_works_out_a_cascade_batchs_cuts_once(student_run, qc_demo, monkeypatch):
    from fastapi.testclient import TestClient

    from shoprel.serve import ServeSettings, create_app

    frame = read_pairs(qc_demo).take(range(60))
    languages = sorted(set(frame.df["language"]))  # per-language cuts: each row its own
    table = {"global": 0.5, "languages": {code: {"threshold": 0.3 + 0.1 * i}
                                          for i, code in enumerate(languages)}}
    expected = open_predictor(student_run, scorer="cascade", cascade_share=0.5)
    monkeypatch.setitem(expected.full.run.manifest, "language_thresholds", table)
    app = create_app(student_run, ServeSettings(scorer="cascade", cascade_share=0.5))
    cascade = app.state.predictor
    monkeypatch.setitem(cascade.full.run.manifest, "language_thresholds", table)
    calls = counted_cut_calls(cascade, monkeypatch)
    pairs = [{"id": r.id, "query": r.query, "category_path": r.target, "language": r.language}
             for r in frame.df.itertuples()]
    with TestClient(app) as client:
        bodies = [client.post("/v1/score", json={"pairs": part}).json()
                  for part in (pairs[:25], pairs[25:])]
    assert app.state.batcher.model_calls == 2
    assert sorted(calls) == ["full", "full", "student", "student"]  # once per batch each
    results = [r for body in bodies for r in body["results"]]
    p = np.concatenate([expected.probabilities(frame.take(range(25))),
                        expected.probabilities(frame.take(range(25, 60)))])
    cuts = expected.row_thresholds(frame)
    assert len(set(cuts)) == len(languages) > 1
    np.testing.assert_allclose([r["probability"] for r in results], p, atol=1e-12)
    np.testing.assert_array_equal([r["threshold"] for r in results], cuts)
    assert [r["label"] for r in results] == (p >= cuts).astype(int).tolist()
    assert [r["id"] for r in results] == frame.df["id"].tolist()
