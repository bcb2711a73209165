"""Thread counts for a block of work (torch's, the BLAS library's), given back afterwards."""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

# Rows up to which a batch is scored on one thread. A served request is a few rows; waking a
# thread pool for them costs more than the work (LightGBM's OpenMP threads ~4 ms a booster on
# 2 cores where one thread takes 0.1 ms), and where the other core is taken (the load test's
# client, a second process) a pool of two waits for it: a 10-pair batch of the USE student's
# new queries took 17 ms (p50) to encode with two BLAS threads against 8 ms with one, p90
# 34 against 21 ms, on a machine with one core busy. Scores do not depend on threads.
ONE_THREAD_ROWS = 256
T = TypeVar("T")

# Rounds an idle OpenMP thread of LightGBM's and torch's (GNU libgomp) spins before it sleeps;
# libgomp's own default is 300,000. Where other processes hold the cores, as on a shared
# 2-core machine, the spinning thread starves the one it waits for: a 400-tree fit of 288 rows
# on 2 threads took 34-87 s at load ~10, 4.4-6.1 s with 3,000 rounds, and 0.78-1.02 s either
# way on a quiet machine (sleeping at once, OMP_WAIT_POLICY=passive, cost +60% there).
OPENMP_SPIN_ROUNDS = "3000"


def default_openmp_spin() -> None:
    """Set GOMP_SPINCOUNT for libgomp, unless the user set it (or OMP_WAIT_POLICY): it is read
    once, when LightGBM or torch first loads the library, so call this before either is
    imported. Scores do not depend on it."""
    if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = OPENMP_SPIN_ROUNDS


def threads_for_rows(rows: int, n_jobs: int | None) -> int | None:
    """One thread for a small batch, else the caller's setting."""
    return 1 if rows <= ONE_THREAD_ROWS else n_jobs


def workers_for_rows(rows: int, n_jobs: int | None) -> int:
    """Threads for in_row_parts: one for a small batch (as threads_for_rows), else the
    caller's setting. A served batch stays whole: split between two threads it left the
    server's event loop and the clients less of the machine (the USE student at concurrency
    8, a quiet machine: 617-702 against 757-835 pairs/s)."""
    return threads_for_rows(rows, n_jobs) or 1


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # scans the loaded libraries once, not at every batch


@contextlib.contextmanager
def blas_threads(n: int | None):
    """Use n threads in NumPy's and SciPy's BLAS inside the block (None or 0: leave as is),
    then restore what was there."""
    if not n:
        yield
        return
    with _blas_controller().limit(limits=n, user_api="blas"):
        yield


def in_row_parts(compute: Callable[[int, int], T], rows: int, part_rows: int,
                 workers: int | None) -> Iterator[tuple[int, int, T]]:
    """(start, stop, compute(start, stop)) over consecutive parts of `rows` rows, in order.

    With several workers the parts run side by side in threads, each on one BLAS thread: a
    BLAS pool of two spins while it waits for a core another process holds (USE encoded
    258-464 queries/s with two where one thread encoded ~2,300, one core busy with another
    command), while threads that each compute alone share whatever cores the machine has.
    `compute` must then be safe to call concurrently (NumPy arithmetic releases the GIL). One
    worker: the parts run here, under the caller's BLAS setting."""
    part_rows = max(1, part_rows)
    parts = [(start, min(start + part_rows, rows)) for start in range(0, rows, part_rows)]
    if not workers or workers <= 1 or len(parts) <= 1:
        for start, stop in parts:
            yield start, stop, compute(start, stop)
        return
    with blas_threads(1), ThreadPoolExecutor(max_workers=workers,
                                             thread_name_prefix="shoprel-rows") as pool:
        for (start, stop), result in zip(parts, pool.map(lambda part: compute(*part), parts),
                                         strict=True):
            yield start, stop, result


def part_rows_for(rows: int, workers: int | None, most: int) -> int:
    """Rows per part: at most `most`, and few enough that every worker gets a part."""
    return max(1, min(most, -(-rows // max(workers or 1, 1))))


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Use n torch threads inside the block (None or 0: leave as is), then restore the
    caller's setting: models loaded side by side must not change each other's threading."""
    import torch

    if not n:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# The shortest stretch over which OwnCpu measures the run's own use: over less, a thread's
# start or a pause weighs too much, and the load average (a minute's) has not yet caught up.
OWN_CPU_SECONDS = 5.0


class OwnCpu:
    """The cores this process kept busy since its last reading (`cores()`): the CPU time of
    all its threads (time.process_time) over the wall time passed.

    The load average counts the run's own threads: a run with `n_jobs: 2` on an otherwise
    quiet 2-core machine reaches a load of ~2 by itself and was told, before its final fit,
    that the machine was busy. busy_load takes this off the load, so that only the others' load
    is weighed. Over a stretch shorter than OWN_CPU_SECONDS it gives 0 (the load is taken whole,
    as before) and keeps measuring from the same start. `cpu`, `wall`: clocks in seconds."""

    def __init__(self, cpu: Callable[[], float] = time.process_time,
                 wall: Callable[[], float] = time.monotonic,
                 least_seconds: float = OWN_CPU_SECONDS):
        self.cpu, self.wall, self.least_seconds = cpu, wall, least_seconds
        self.since = (cpu(), wall())

    def cores(self) -> float:
        cpu, wall = self.cpu(), self.wall()
        spent, passed = cpu - self.since[0], wall - self.since[1]
        if passed < self.least_seconds:
            return 0.0
        self.since = (cpu, wall)
        return max(0.0, spent / passed)


def busy_load(own: float = 0.0) -> tuple[float, int] | None:
    """(the last minute's load average less `own`, the cores this process may use) where that
    load is at or above the cores, read now: threads that spin while they wait for each other
    (OpenMP's, LightGBM's and torch's) then run several times slower. `own`: the cores this
    run kept busy lately (OwnCpu), which the load average counts too. None on a machine with
    cores free, or where the load cannot be read."""
    if not hasattr(os, "getloadavg"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = max(0.0, os.getloadavg()[0] - own)
    return None if load < (cores or 1) else (load, cores or 1)


def load_words(own: float) -> str:
    """What the load a note gives is: the machine's, or the others' where the run's own was
    taken off (the figure is then below what `uptime` shows)."""
    return "this machine's load besides this run's" if own > 0 else "this machine's load"


def busy_machine_note(n_jobs: int | None, users: tuple[str, ...] = ("LightGBM",),
                      own: float = 0.0) -> str | None:
    """A line for a user whose fits use several threads on a machine whose cores are taken
    (busy_load): OpenMP's and torch's threads then spin against each other (the default train
    ran 11x slower at load 6-17 on 2 cores; a 600-row run took 11.5 min instead of 71 s), and
    `n_jobs: 1` avoids it. `users`: what the family's n_jobs sets the threads of (its config's
    n_jobs_threads: LightGBM's alone, or also the text encoder's). None when the threads have
    the cores to themselves. `own`: as busy_load's; the load the note names is then the
    others'."""
    busy = busy_load(own) if n_jobs and n_jobs > 1 else None
    if busy is None:
        return None
    load, cores = busy
    if len(users) == 1:
        slower = f"{users[0]} with {n_jobs} threads runs several times slower when its cores"
    else:
        named = f"{', '.join(users[:-1])} and {users[-1]}"
        slower = (f"{named}, each with {n_jobs} threads, run several times slower when their "
                  "cores")
    return (f"note: {load_words(own)} is {load:.1f} on {cores} cores; {slower} are taken: on "
            "a shared machine, model.params.n_jobs: 1 trains faster (README, \"Speed and "
            "memory\")")


def busy_torch_note(n_threads: int | None, own: float = 0.0) -> str | None:
    """busy_machine_note for `shoprel pretrain`'s torch threads on the CPU (`--threads`; none
    given: torch's default, a thread a core): on a busy 2-core machine a pretrain ran up to
    ~10x slower with the default threads, as two torch threads took 10x the CPU time of one
    in models/embed/learned_similarity.py. `own`: as busy_load's (the check comes after the
    run loaded its model, tokenized its texts and scored its probe on those threads)."""
    import torch

    threads = n_threads or torch.get_num_threads()
    busy = busy_load(own) if threads > 1 else None
    if busy is None:
        return None
    load, cores = busy
    return (f"note: {load_words(own)} is {load:.1f} on {cores} cores; torch with {threads} "
            "threads runs several times slower when its cores are taken: on a shared machine, "
            "--threads 1 trains faster")


class BusyMachineNote:
    """A busy-machine note (`check()`: busy_machine_note's or busy_torch_note's line, or None)
    said at most once a run, at the first of several checks that finds the machine busy: as
    the fits start and before train's final fit, while `n_jobs: 1` or `--threads 1` can still
    save the time (a note read as the run ended came after a final fit of 509 s that one
    thread did in 72 s), and as the run ends, where the load came later."""

    def __init__(self, check: Callable[[], str | None], say: Callable[[str], None]):
        self.check = check
        self.say = say
        self.said = False

    def __call__(self) -> None:
        if self.said:
            return
        line = self.check()
        if line:
            self.said = True
            self.say(line)
