"""Where a fine-tuning fit keeps its checkpoints, and when a rerun resumes from them.

One rule for every fine-tuned family: a fit's folder is named by what it learns from, i.e.
the family, its params except the runtime ones (`TrainingArguments.RUNTIME`), the backbone's
weights (fingerprint), the model it starts from, and every training row as the model reads it
(query side, target side, label). Running the same fit again after an interruption finds the
folder and goes on from its newest checkpoint; another fold (other rows) or another setting
never does. The folder lives under `checkpoint_dir`, by default the shoprel cache's
`checkpoints/`; a finished fit removes it unless asked to keep it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

TIME_FILE = "shoprel_time.json"  # seconds of training spent up to a checkpoint
DIGEST_CHARS = 20
# the names checkpoint_folder gives (the cache inventory lists only folders named so)
FOLDER_NAME = re.compile(rf"[a-z0-9_]+-[0-9a-f]{{{DIGEST_CHARS}}}")


def checkpoint_folder(family: str, params: dict, runtime: frozenset[str], fingerprint: str,
                      start: str | None, first: Sequence[str], second: Sequence[str],
                      labels: Sequence[int], root: Path) -> Path:
    digest = hashlib.sha256()
    learned = {k: v for k, v in params.items() if k not in runtime}
    digest.update(json.dumps([family, learned, fingerprint, start], sort_keys=True,
                             default=str).encode())
    for a, b, label in zip(first, second, labels, strict=True):
        digest.update(f"{a}\x00{b}\x00{label}\x01".encode())
    return root / f"{family}-{digest.hexdigest()[:DIGEST_CHARS]}"


def latest_checkpoint(folder: str | Path | None) -> Path | None:
    """The newest complete `checkpoint-N` folder in `folder`, or None."""
    from transformers.trainer_utils import get_last_checkpoint

    if folder is None or not Path(folder).is_dir():
        return None
    found = get_last_checkpoint(str(folder))
    return Path(found) if found else None


def checkpoint_step(checkpoint: Path | None) -> int:
    if checkpoint is None:
        return 0
    return int(checkpoint.name.rsplit("-", 1)[-1])


def spent_seconds(checkpoint: Path | None) -> float:
    if checkpoint is None:
        return 0.0
    try:
        return float(json.loads((checkpoint / TIME_FILE).read_text())["seconds"])
    except (OSError, ValueError, KeyError):
        return 0.0


def remove_checkpoints(folder: str | Path) -> None:
    """Drop a finished fit's checkpoints (they can be as large as several models).

    In a distributed run the ranks share the folder: all wait until every rank is done with it,
    then rank 0 alone removes it (a rank that removed it early broke another still listing it)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()
        if dist.get_rank() != 0:
            return
    shutil.rmtree(folder, ignore_errors=True)
