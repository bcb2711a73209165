"""Every output a command reports as written reaches the disk before it is renamed into place,
and its folder after: renamed in unsynced, a power cut can leave it empty under its name."""

import json

import pandas as pd
import pytest
from tests.evaluate.fake_runs import make_run, rows

from shoprel.data.column_plan import ColumnPlan
from shoprel.data.writers import write_record_chunks, write_table
from shoprel.demo import DemoFiles
from shoprel.ensemble.noise import filter_training_file, write_flagged_ids
from shoprel.evaluate.report import write_report, write_run_report
from shoprel.evaluate.report.compare_page import write_comparison
from shoprel.predict.predictor import predict_file
from shoprel.run.folder import Run
from shoprel.run.layout import METRICS, REPORT
from shoprel.run.writer import RunWriter
from shoprel.utils.atomic import add_to_stamp
from shoprel.utils.output_stamp import stamp_entries
from shoprel.utils.shoprel_folders import STAMP

# the tests marked reads_report read a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


@pytest.fixture
def quick_pages(monkeypatch):
    """Pages rendered as a stub: what is tested is how they are written (seconds saved)."""
    from shoprel.evaluate.report import compare_page, document

    monkeypatch.setattr(document, "render_report", lambda *args: "<html>report</html>")
    monkeypatch.setattr(compare_page, "render_comparison", lambda *args: "<html>page</html>")


@pytest.fixture
def two_runs(tmp_path):
    """Two small finished runs on the same rows, of this test's own (some commands write in)."""
    base = rows(n=100)
    return (make_run(tmp_path / "a", base, 1.0, 1, "a"),
            make_run(tmp_path / "b", base, 2.0, 2, "b"))


@pytest.mark.parametrize("name", ["predictions.jsonl", "predictions.parquet",
                                  "predictions.csv"])
def test_predictions(tmp_path, trained_runs, qc_demo, fsync_spy, name):
    predict_file(trained_runs["QC"], qc_demo, tmp_path / name, progress=False)
    assert fsync_spy.unsynced(tmp_path / name) == []


@pytest.mark.reads_report
def test_report_and_comparison_pages(tmp_path, two_runs, quick_pages, fsync_spy):
    run = two_runs[0]
    out = write_run_report(run, tmp_path / "report.html")
    own = write_run_report(run)
    again = write_report(tmp_path / "elsewhere", Run.open(run).metrics(), Run.open(run).oof())
    page, _ = write_comparison(list(two_runs), tmp_path / "compare.html")
    assert own == run / REPORT and own.read_text(encoding="utf-8") == "<html>report</html>"
    for path in (out, own, again, page):
        assert fsync_spy.unsynced(path) == []


def test_tables_written_back(tmp_path, fsync_spy):
    table = write_table(pd.DataFrame({"id": [1, 2], "probability": [0.2, 0.9]}),
                        tmp_path / "t.csv")
    plan = ColumnPlan()
    plan.add({"id": 1, "text": "a"}, 1)
    written = [write_record_chunks([([{"id": 1, "text": "a"}], [1])], tmp_path / f"r.{fmt}",
                                   plan) for fmt in ("jsonl", "parquet")]
    assert fsync_spy.unsynced(table) == []
    for records in written:
        assert fsync_spy.unsynced(records) == []


def test_noise_outputs(tmp_path, trained_runs, qc_demo, fsync_spy):
    flagged = pd.DataFrame({"id": [1, 2, 3]})
    ids = write_flagged_ids(flagged, tmp_path / "ids.txt", trained_runs["QC"])
    first = json.loads(qc_demo.read_text(encoding="utf-8").splitlines()[0])["id"]
    assert filter_training_file(qc_demo, [first], tmp_path / "clean.jsonl") == 1
    assert fsync_spy.unsynced(ids) == []
    assert fsync_spy.unsynced(tmp_path / "clean.jsonl") == []


@pytest.mark.reads_report
def test_files_rewritten_in_a_finished_run(two_runs, quick_pages, fsync_spy):
    run = two_runs[0]
    stamp_entries(run)  # as a run is written
    RunWriter.finished(run).update_metrics(lambda m: m.update(note="x"), report=True)
    add_to_stamp(run, "extra")
    assert "extra" in json.loads((run / STAMP).read_text(encoding="utf-8"))["entries"]
    for name in (METRICS, REPORT, STAMP):
        assert fsync_spy.unsynced(run / name) == []


def test_the_demos_record_of_what_it_wrote(tmp_path, fsync_spy):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    files = DemoFiles(tmp_path)
    files.record(tmp_path / "a.txt")
    assert fsync_spy.unsynced(files.path) == []


# run folders: written aside, every file and folder fsynced, then renamed in

TINY = {"model.family": "fast", "model.params.n_features": 2**12,
        "model.params.n_estimators": 10, "model.params.n_jobs": 1, "model.params.stack": False,
        "folds.k": 2, "final.keep_fold_models": False}


def test_a_trained_run(tmp_path, qc_demo, quick_pages, fsync_spy):
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    run = train(qc_demo, tmp_path / "run", load_config(None, TINY), progress=False).run_dir
    assert (run / "models").is_dir()  # a folder below is checked too
    assert fsync_spy.unsynced(run) == []


def test_a_distilled_student(tmp_path, trained_runs, quick_pages, fsync_spy):
    from shoprel.training.config_reading import load_config
    from shoprel.training.distill import distill

    student = distill(trained_runs["QC"], load_config(None, TINY), tmp_path / "student",
                      progress=False, speed_rows=0).run_dir
    assert fsync_spy.unsynced(student) == []


def test_an_ensemble(tmp_path, qc_runs, quick_pages, fsync_spy):
    from shoprel.ensemble.runner import build_ensemble

    out = build_ensemble(list(qc_runs), tmp_path / "ens").out_dir
    assert fsync_spy.unsynced(out) == []
