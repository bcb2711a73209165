"""Which process this is under `torchrun` / `accelerate launch`, and the runner's collectives.

Every rank runs the same fits (Hugging Face Trainer wraps the model in DDP/FSDP/DeepSpeed and
syncs gradients); only rank 0 writes the run directory. The runner's own barrier and broadcast go
through a separate gloo group, so they work beside whatever backend training uses (NCCL on GPUs).
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

# training between the runner's collectives can take long (a whole cross-validation)
TIMEOUT = timedelta(hours=12)


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def current_ranks(environ: Mapping[str, str] | None = None) -> Ranks:
    """Read RANK / WORLD_SIZE / LOCAL_RANK as torchrun and accelerate set them (default: alone)."""
    env = os.environ if environ is None else environ
    world = int(env.get("WORLD_SIZE", "1") or 1)
    rank = int(env.get("RANK", "0") or 0)
    local = int(env.get("LOCAL_RANK", str(rank)) or 0)
    if not 0 <= rank < max(world, 1):
        raise ValueError(f"RANK {rank} outside WORLD_SIZE {world}")
    return Ranks(rank, world, local)


class RankGroup:
    """Joins (or reuses) the default process group and opens a gloo group for the runner."""

    def __init__(self, ranks: Ranks):
        import torch
        import torch.distributed as dist

        self.ranks = ranks
        cuda = torch.cuda.is_available()
        if not cuda:
            # Trainer (through accelerate) only runs multi-process on CPU when told to use the CPU
            os.environ.setdefault("ACCELERATE_USE_CPU", "true")
        if not dist.is_initialized():
            if cuda:
                torch.cuda.set_device(ranks.local_rank)
            # both backends, so FSDP/DeepSpeed CPU offload and NCCL collectives all work
            dist.init_process_group(backend="cpu:gloo,cuda:nccl" if cuda else "gloo",
                                    rank=ranks.rank, world_size=ranks.world_size,
                                    timeout=TIMEOUT)
            # left to the interpreter's teardown, gloo's threads were sometimes destroyed still
            # running: rank 0 aborted ("terminate called without an active exception") after
            # writing the run, and torchrun reported the whole job failed
            atexit.register(close_process_groups)
        self._dist = dist
        self.group = dist.new_group(backend="gloo", timeout=TIMEOUT)

    def barrier(self) -> None:
        self._dist.barrier(group=self.group)

    def broadcast(self, value):
        """Rank 0's value, on every rank."""
        box = [value if self.ranks.is_main else None]
        self._dist.broadcast_object_list(box, src=0, group=self.group)
        return box[0]


def close_process_groups() -> None:
    """Destroy the process groups this process joined, while the interpreter still runs."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
