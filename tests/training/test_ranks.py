"""Which rank this is, and the process groups the runner joins."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from shoprel.training.ranks import Ranks, current_ranks


def test_ranks_come_from_torchrun_s_environment():
    assert current_ranks({}) == Ranks(0, 1, 0)
    ranks = current_ranks({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert ranks == Ranks(3, 4, 1) and ranks.distributed and not ranks.is_main
    with pytest.raises(ValueError, match="RANK 4 outside WORLD_SIZE 4"):
        current_ranks({"RANK": "4", "WORLD_SIZE": "4"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_groups_joined_are_destroyed_before_the_interpreter_ends():
    # left to the interpreter's teardown, gloo's threads could die running and abort rank 0
    # after it had written the run (torchrun then called the job failed)
    script = textwrap.dedent("""
        import atexit
        import torch.distributed as dist
        from shoprel.training.ranks import RankGroup, Ranks
        # registered first, so it runs after any handler the group registers
        atexit.register(lambda: print("at exit, initialized:", dist.is_initialized()))
        group = RankGroup(Ranks(0, 1, 0))
        group.barrier()
        print("joined:", dist.is_initialized())
    """)
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-2:] == ["joined: True", "at exit, initialized: False"]
