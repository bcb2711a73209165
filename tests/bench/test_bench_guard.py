"""Benchmarks fill and clear only work folders of their own, and answer bad input in one line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from bench_guard import RECORD, BenchError, claim_workdir, run_main  # noqa: E402


def test_a_work_folder_is_new_empty_or_a_benchmarks_own(tmp_path):
    new = claim_workdir(tmp_path / "new", "bench/x.py", "--work")
    assert json.loads((new / RECORD).read_text())["written_by"] == "bench/x.py"
    (new / "pred.jsonl").write_text("{}\n")
    assert claim_workdir(new, "bench/y.py", "--work") == new  # a benchmark's: reused
    (tmp_path / "empty").mkdir()
    claim_workdir(tmp_path / "empty", "bench/x.py", "--work")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "train.jsonl").write_text("my own rows\n")
    with pytest.raises(BenchError, match=r"^--workdir .*mine: holds files no benchmark wrote"):
        claim_workdir(mine, "bench/x.py", "--workdir")
    assert sorted(p.name for p in mine.iterdir()) == ["train.jsonl"]
    with pytest.raises(BenchError, match="is a file"):
        claim_workdir(mine / "train.jsonl", "bench/x.py", "--work")


@pytest.mark.parametrize(("argv", "message"), [
    (["throughput.py", "{missing}", "--workdir", "{tmp}/w"], "file not found"),
    (["throughput.py", "{data}", "--workdir", "{tmp}/mine"], "holds files no benchmark wrote"),
    (["default_train.py", "{data}", "--keep", "{tmp}/mine"], "not an empty folder"),
    (["feature_ablation.py", "{missing}"], "file not found"),
    (["oof_table.py", "garbage"], "give NAME=PATH"),
    (["load_test.py", "{tmp}/no-run"], "run directory not found"),
])
def test_bad_arguments_are_one_line_and_touch_nothing(tmp_path, qc_demo, argv, message):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "train.jsonl").write_text("my own rows\n")
    (mine / "rows5.txt").write_text("my data\n")
    values = {"missing": tmp_path / "nope.txt", "tmp": tmp_path, "data": qc_demo}
    args = [str(BENCH / argv[0]), *(a.format(**values) for a in argv[1:])]
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          cwd=BENCH.parent, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    assert (mine / "train.jsonl").read_text() == "my own rows\n"
    assert (mine / "rows5.txt").read_text() == "my data\n"



@pytest.mark.parametrize("name, text", [
    ("nope.txt", None),
    ("folder", "a folder"),
    ("bad.jsonl", '{"id": 1, "origin_query": "q", "category_path": "a", "label": 1}\n{"id": 1'),
])
def test_fast_model_bench_refuses_a_bad_file_as_train_does(tmp_path, monkeypatch, capsys, name,
                                                           text):
    """The bench checked its file itself: a folder was 'not found', and neither said 'error:'
    nor exited 2. It now leaves the file to the data layer: the CLI's line, word for word."""
    from click.testing import CliRunner
    from fast_model import main as bench_main

    from shoprel.cli import main

    path = tmp_path / name
    if text == "a folder":
        path.mkdir()
    elif text is not None:
        path.write_text(text)
    monkeypatch.setattr(sys, "argv", ["fast_model.py", str(path)])
    with pytest.raises(SystemExit) as stopped:
        run_main(bench_main)
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    cli = CliRunner().invoke(main, ["train", str(path), "--out", str(tmp_path / "run")])
    assert cli.exit_code == 2
    assert said == cli.output and said.count("\n") == 1 and str(path) in said
    assert not (tmp_path / "run").exists()
