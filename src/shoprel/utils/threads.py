"""Torch thread count for a block of work, given back afterwards."""

from __future__ import annotations

import contextlib
import os


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


def busy_machine_note(n_jobs: int | None) -> str | None:
    """A line for a user whose LightGBM fits used several threads on a machine whose cores
    are taken (the last minute's load average, read as the run ends): OpenMP threads then spin
    against each other (the default train ran 11x slower at load 6-17 on 2 cores; a 600-row
    run took 11.5 min instead of 71 s), and `n_jobs: 1` avoids it. None when the threads had
    the cores to themselves."""
    if not n_jobs or n_jobs <= 1 or not hasattr(os, "getloadavg"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0]
    if load < (cores or 1):
        return None
    return (f"note: this machine's load is {load:.1f} on {cores} cores; LightGBM with "
            f"{n_jobs} threads runs several times slower when its cores are taken: on a shared "
            "machine, model.params.n_jobs: 1 trains faster (README, \"Speed and memory\")")
