"""The busy-machine note: several LightGBM threads on cores already taken run far slower."""

import os

import pytest

from shoprel.utils.threads import (
    ONE_THREAD_ROWS,
    BusyMachineNote,
    OwnCpu,
    blas_threads,
    busy_machine_note,
    busy_torch_note,
    in_row_parts,
    part_rows_for,
    threads_for_rows,
    workers_for_rows,
)


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})

    def at(load):
        monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    return at


def test_a_loaded_machine_gets_the_note(two_cores):
    two_cores(5.0)
    note = busy_machine_note(2)
    assert note.startswith("note: this machine's load is 5.0 on 2 cores")
    assert "model.params.n_jobs: 1" in note


def test_the_note_names_every_user_of_the_threads(two_cores):
    """The embed family's n_jobs also sets its text encoder's threads, which spin as
    LightGBM's do; its note said LightGBM alone."""
    two_cores(5.0)
    note = busy_machine_note(2, ("LightGBM", "the text encoder"))
    assert ("; LightGBM and the text encoder, each with 2 threads, run several times slower "
            "when their cores are taken: on a shared machine, model.params.n_jobs: 1") in note
    assert "; LightGBM with 3 threads runs several times slower when its cores are taken: " \
        in busy_machine_note(3, ("LightGBM",))


def test_no_note_with_one_thread_or_free_cores(two_cores):
    two_cores(5.0)
    assert busy_machine_note(1) is None and busy_machine_note(None) is None
    two_cores(1.2)
    assert busy_machine_note(2) is None


class Clocks:
    """CPU and wall clocks a test moves by hand."""

    def __init__(self):
        self.cpu_seconds = self.wall_seconds = 100.0

    def cpu(self):
        return self.cpu_seconds

    def wall(self):
        return self.wall_seconds

    def run(self, seconds, cores):
        self.wall_seconds += seconds
        self.cpu_seconds += seconds * cores


def test_a_run_busy_on_its_own_threads_is_not_told_the_machine_is(two_cores):
    """A long run with 2 threads on an otherwise quiet 2-core machine brought the load to ~2.3
    itself, and was told before its final fit that the machine was busy."""
    clocks = Clocks()
    own = OwnCpu(clocks.cpu, clocks.wall)
    two_cores(2.3)
    clocks.run(120, 2.0)  # the cross-validation: both cores, its own
    assert busy_machine_note(2, own=own.cores()) is None
    assert busy_machine_note(2) is not None  # the load taken whole: as before
    two_cores(7.5)  # others came: 5.5 besides the run's own 2
    clocks.run(60, 2.0)
    note = busy_machine_note(2, own=own.cores())
    assert note.startswith("note: this machine's load besides this run's is 5.5 on 2 cores")


def test_own_cpu_is_read_over_a_stretch_of_some_seconds_only():
    clocks = Clocks()
    own = OwnCpu(clocks.cpu, clocks.wall, least_seconds=5)
    clocks.run(2, 1.0)
    assert own.cores() == 0.0  # too short to tell: the load is taken whole
    clocks.run(4, 1.75)  # 6 s since the start: 2 + 7 CPU seconds
    assert own.cores() == pytest.approx(9 / 6)
    clocks.run(10, 0.5)  # measured from the last reading
    assert own.cores() == pytest.approx(0.5)


def test_train_says_it_and_a_bad_input_keeps_its_one_error_line(two_cores, tmp_path, qc_demo,
                                                                monkeypatch):
    from click.testing import CliRunner

    from shoprel.cli import main

    two_cores(7.5)
    monkeypatch.setattr(OwnCpu, "cores", lambda self: 1.5)  # the run's own share of the load
    config = tmp_path / "c.yaml"
    config.write_text("model: {family: fast, params: {n_estimators: 20, n_jobs: 2}}\n"
                      "folds: {k: 2}\ncheck: {far_pairs: 0}\n")
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(tmp_path / "run"),
                                     "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert "note: this machine's load besides this run's is 6.0 on 2 cores" in done.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "origin_query": "a", "category_path": "x", "label": 5}\n')
    failed = CliRunner().invoke(main, ["train", str(bad), "--out", str(tmp_path / "r2"),
                                       "--config", str(config)])
    assert failed.exit_code == 2 and failed.output.count("\n") == 1  # the error line alone


def test_the_run_note_is_said_once_at_the_first_busy_check(two_cores):
    said = []
    busy = BusyMachineNote(lambda: busy_machine_note(2), said.append)
    two_cores(1.0)
    busy()
    assert said == []
    two_cores(3.0)
    busy()
    two_cores(9.0)
    busy()
    assert len(said) == 1 and said[0].startswith("note: this machine's load is 3.0 on 2 cores")
    alone = BusyMachineNote(lambda: busy_machine_note(1), said.append)  # one thread: nothing to say
    alone()
    assert len(said) == 1


def test_small_batches_get_one_thread_large_ones_the_callers():
    assert threads_for_rows(10, 2) == 1 and threads_for_rows(ONE_THREAD_ROWS, None) == 1
    assert threads_for_rows(ONE_THREAD_ROWS + 1, 2) == 2
    assert threads_for_rows(ONE_THREAD_ROWS + 1, None) is None


def test_blas_threads_limits_inside_and_restores():
    from threadpoolctl import threadpool_info

    def now():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = now()
    with blas_threads(1):
        assert now() == [1] * len(before)
    assert now() == before
    with blas_threads(None):  # nothing asked: nothing changed
        assert now() == before


def _blas_now():
    from threadpoolctl import threadpool_info

    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_row_parts_in_order_side_by_side_on_one_blas_thread_each():
    import threading

    seen = []

    def compute(start, stop):
        seen.append((threading.current_thread().name, set(_blas_now())))
        return list(range(start, stop))

    before = _blas_now()
    parts = list(in_row_parts(compute, 10, 4, workers=2))
    assert [(a, b) for a, b, _ in parts] == [(0, 4), (4, 8), (8, 10)]
    assert [x for _, _, rows in parts for x in rows] == list(range(10))
    assert all(name.startswith("shoprel-rows") and blas == {1} for name, blas in seen)
    assert _blas_now() == before  # given back
    seen.clear()
    here = threading.current_thread().name
    assert [r for _, _, r in in_row_parts(compute, 5, 2, workers=1)] == [[0, 1], [2, 3], [4]]
    assert {name for name, _ in seen} == {here}  # one worker: computed in the caller
    assert list(in_row_parts(compute, 0, 4, workers=2)) == []


def test_a_failing_part_fails_the_call():
    def compute(start, stop):
        if start == 4:
            raise ValueError("part 2")
        return start

    with pytest.raises(ValueError, match="part 2"):
        list(in_row_parts(compute, 10, 4, workers=2))


def test_every_worker_gets_a_part():
    assert part_rows_for(1000, 2, 1024) == 500 and part_rows_for(3000, 2, 1024) == 1024
    assert part_rows_for(7, None, 1024) == 7 and part_rows_for(1, 4, 10) == 1


def test_workers_split_rows_only_beyond_a_served_batch():
    assert workers_for_rows(10, 2) == 1 and workers_for_rows(ONE_THREAD_ROWS, 2) == 1
    assert workers_for_rows(ONE_THREAD_ROWS + 1, 2) == 2
    assert workers_for_rows(10_000, None) == 1


def test_the_torch_note_takes_the_runs_own_load_off(two_cores):
    """pretrain's note comes after the run loaded its model and scored its probe on its own
    torch threads: that share of the load is the run's, not the machine's being busy."""
    two_cores(3.0)
    assert busy_torch_note(2).startswith("note: this machine's load is 3.0 on 2 cores; torch")
    assert busy_torch_note(2, own=1.5) is None
    two_cores(6.0)
    assert busy_torch_note(2, own=1.5).startswith(
        "note: this machine's load besides this run's is 4.5 on 2 cores; torch with 2 threads")
