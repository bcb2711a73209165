"""Target vectors of a tuned bi-encoder computed ahead (`shoprel index`), so scoring runs only
new queries through the encoder: a category path costs ~4 query forwards on 2 cores, a title
more.

A tuned model's vectors depend on its own top layers, not only on the backbone, so its index
folder is named after a digest of the tuned tensors and the backbone's fingerprint; a model
tuned again never reads another's vectors. The store is the embedding models' (target_index.py:
memory-mapped arrays, resumable parts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from shoprel.models.backbones.target_index import TargetIndex, open_index

KIND = "tuned-target"


def weights_digest(tensors: dict, backbone_fingerprint: str) -> str:
    """SHA-256 over the backbone's fingerprint and every tuned tensor, by name."""
    digest = hashlib.sha256(backbone_fingerprint.encode())
    for name in sorted(tensors):
        digest.update(name.encode())
        digest.update(tensors[name].detach().float().contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()


def index_slug(digest: str) -> str:
    return f"biencoder-{digest[:16]}"


def target_indexes(folders: Sequence[Path], digest: str) -> list[TargetIndex]:
    """This tuned model's indexes in those folders, in their order (earlier ones win)."""
    return [index for folder in folders
            if (index := open_index(Path(folder) / index_slug(digest), digest)) is not None]
