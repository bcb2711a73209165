"""Unlabelled pairs a teacher scores for its student (distill --unlabeled)."""

import json

import numpy as np
import pytest
from tests.conftest import write_jsonl

from shoprel.data.tasks import Task
from shoprel.demo import demo_file
from shoprel.errors import InputError
from shoprel.training.unlabeled import read_unlabeled, teacher_scored


def bar_lines(stderr: str, desc: str) -> list[str]:
    """Each drawing of the bar `desc` in a command's stderr (redraws begin with '\\r')."""
    drawn = [line.rstrip() for line in stderr.replace("\n", "\r").split("\r")]
    return [line for line in drawn if line.startswith(f"{desc}:")]


def test_the_teacher_s_bar_names_the_step_and_file_it_is_at(trained_runs, tmp_path, capsys,
                                                            monkeypatch):
    """distill --unlabeled's bar said nothing while the teacher loaded (an embed teacher's
    encoder) nor while it scored a chunk (embedding its new texts): it names each step, and the
    file when there are several; the files are read whole (their bar) before the teacher
    loads; progress off: no bar."""
    rows = [json.loads(line) for line in demo_file("QC").read_text("utf-8").splitlines()]
    files = [write_jsonl(tmp_path / f"new{i}.jsonl", [
        {**row, "origin_query": f"{row['origin_query']} {i}"} for row in rows[i * 20:i * 20 + 20]])
        for i in (0, 1)]
    monkeypatch.delenv("COLUMNS", raising=False)  # a log's 80 columns (progress.LOG_WIDTH)
    scored = teacher_scored(trained_runs["QC"], read_unlabeled(files, Task.QC), progress=True)
    assert len(scored) == 40 and np.isfinite(scored.df["soft_label"]).all()
    err = capsys.readouterr().err
    for desc, expected, last in (
            ("unlabelled pairs", ["file 1/2: reading", "file 2/2: reading"],
             "unlabelled pairs: 40 rows ["),
            ("teacher scoring", ["loading the teacher", "file 1/2: scoring",
                                 "file 2/2: scoring"], "teacher scoring: 40/40 [")):
        bar = bar_lines(err, desc)
        named = [line.rsplit(", ", 1)[1][:-1] for line in bar if ", " in line]
        steps = [step for i, step in enumerate(named) if not i or named[i - 1] != step]
        assert steps == expected, bar
        assert bar[-1].startswith(last), bar
        # its name is short enough that the steps fit a log's line ('teacher scoring
        # unlabelled pairs' left no room for 'loading the teacher')
        assert max(len(line) for line in bar) < 80, bar
        assert not bar[-1].endswith("ing]"), bar  # a finished bar names no step
    assert err.index("unlabelled pairs: 40 rows") < err.index("loading the teacher")

    teacher_scored(trained_runs["QC"], read_unlabeled(files[:1], Task.QC, progress=False),
                   progress=False)
    assert capsys.readouterr().err == ""


def test_unlabeled_files_are_read_whole_before_the_teacher_loads(trained_runs, tmp_path,
                                                                 monkeypatch):
    """`distill --unlabeled FILE` read FILE chunk by chunk as the teacher scored it, once the
    teacher had loaded (the default model's encoder: ~30 s): an empty file, a file of the other
    task, or a bad line past the first chunk was told only then, and the chunks above it
    scored for nothing. Every row is now read and checked before any model loads."""
    from shoprel.run.folder import Run
    from shoprel.training import unlabeled

    def no_model(self):
        raise AssertionError("a model was loaded before the --unlabeled files were checked")

    monkeypatch.setattr(Run, "load_models", no_model)
    monkeypatch.setattr(unlabeled, "SCORE_ROWS", 10)  # the bad line past the first chunk
    rows = [json.loads(line) for line in demo_file("QC").read_text("utf-8").splitlines()[:30]]
    good = write_jsonl(tmp_path / "good.jsonl", rows[:20])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows[:25]) + '{"id": 99, oops\n',
                   encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    qi = write_jsonl(tmp_path / "qi.jsonl", [json.loads(line) for line in
                                             demo_file("QI").read_text("utf-8").splitlines()[:5]])
    for files, said in (([good, bad], f"{bad}, line 26: malformed JSON"),
                        ([empty], f"{empty}: the file has no rows"),
                        ([good, qi], f"{qi}, line 1, field 'category_path': column missing for "
                                     "task QC (the file looks like a QI file)")):
        with pytest.raises(InputError) as info:
            read_unlabeled(files, Task.QC, progress=False)
        assert str(info.value).startswith(said)
    assert len(read_unlabeled([good, good], Task.QC, progress=False)) == 20  # repeats once
