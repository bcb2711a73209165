import json
import shutil

from fastapi.testclient import TestClient

from shoprel.ensemble.thresholds import add_language_thresholds
from shoprel.serve import create_app


def test_per_language_thresholds_apply_per_pair(tmp_path, trained_runs):
    run_dir = tmp_path / "run"
    shutil.copytree(trained_runs["QC"], run_dir)
    add_language_thresholds(run_dir, 50)
    table = json.loads((run_dir / "run.json").read_text())["language_thresholds"]
    pairs = [{"query": "funda iphone", "category_path": "phones,cases", "language": lang}
             for lang in ("es", "ja", "xx")]
    with TestClient(create_app(run_dir)) as client:
        body = client.post("/v1/score", json={"pairs": pairs}).json()
    cuts = [r["threshold"] for r in body["results"]]
    languages = table["languages"]
    assert cuts[0] == languages["es"]["threshold"] and cuts[1] == languages["ja"]["threshold"]
    assert cuts[2] == body["threshold"]  # a language never seen: the global cut
    assert all(r["label"] == int(r["probability"] >= r["threshold"]) for r in body["results"])
