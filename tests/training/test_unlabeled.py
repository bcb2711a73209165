"""Unlabelled pairs a teacher scores for its student (distill --unlabeled)."""

import json

import numpy as np
from tests.conftest import write_jsonl

from shoprel.data.tasks import Task
from shoprel.demo import demo_file
from shoprel.training.unlabeled import teacher_scored


def bar_lines(stderr: str, desc: str) -> list[str]:
    """Each drawing of the bar `desc` in a command's stderr (redraws begin with '\\r')."""
    drawn = [line.rstrip() for line in stderr.replace("\n", "\r").split("\r")]
    return [line for line in drawn if line.startswith(f"{desc}:")]


def test_the_teacher_s_bar_names_the_step_and_file_it_is_at(trained_runs, tmp_path, capsys,
                                                            monkeypatch):
    """distill --unlabeled's bar said nothing while the teacher loaded (an embed teacher's
    encoder) nor while it scored a chunk (embedding its new texts): it names each step, and the
    file when there are several; progress off: no bar."""
    rows = [json.loads(line) for line in demo_file("QC").read_text("utf-8").splitlines()]
    files = [write_jsonl(tmp_path / f"new{i}.jsonl", [
        {**row, "origin_query": f"{row['origin_query']} {i}"} for row in rows[i * 20:i * 20 + 20]])
        for i in (0, 1)]
    monkeypatch.delenv("COLUMNS", raising=False)  # a log's 80 columns (progress.LOG_WIDTH)
    scored = teacher_scored(trained_runs["QC"], files, Task.QC, progress=True)
    assert len(scored) == 40 and np.isfinite(scored.df["soft_label"]).all()
    bar = bar_lines(capsys.readouterr().err, "unlabelled pairs")
    named = [line.rsplit(", ", 1)[1][:-1] for line in bar if ", " in line]
    steps = [step for i, step in enumerate(named) if not i or named[i - 1] != step]  # redraws
    assert steps == ["loading the teacher", "file 1/2: reading", "file 1/2: scoring",
                     "file 1/2: reading", "file 2/2: reading", "file 2/2: scoring",
                     "file 2/2: reading"], bar
    assert bar[-1].startswith("unlabelled pairs: 40 rows ["), bar
    # its name is short enough that the steps fit a log's line ('teacher scoring unlabelled
    # pairs' left no room for 'loading the teacher')
    assert max(len(line) for line in bar) < 80, bar
    assert not bar[-1].endswith("reading]"), bar  # a finished bar names no step

    teacher_scored(trained_runs["QC"], files[:1], Task.QC, progress=False)
    assert capsys.readouterr().err == ""
