"""The target rank's vectors, saved as keys into the model's own index where it holds them.

A model that saves its index (INDEX_FOLDER: the final model of a run) holds every training
target's float32 vector there, and the target rank kept a float16 copy of the same vectors
beside it (3 MB of EmbeddingGemma vectors for 2,000 titles). When the index's vectors, rounded
to float16, are the rank's bit for bit (checked as it saves), target_rank.safetensors keeps the
keys alone and loading rounds the index's vectors again: the same vectors, the same scores.
A run's fold models save no index of their own: their targets are among the final model's, so
once the final model is saved (runner), a fold's copy that the final model's index gives back bit
for bit is replaced by its keys, and the file's metadata names that index (INDEX_AT, relative to
the fold's folder: `../full/index`). A fold model saved anywhere else keeps the copy, as do
models saved before.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from shoprel.errors import RunDirError
from shoprel.models.backbones.target_index import indexed_fingerprints, open_index
from shoprel.models.embed.target_rank import TargetRank
from shoprel.utils.safetensors_file import save_numpy
from shoprel.utils.safetensors_metadata import saved_metadata

VECTORS, KEYS = "target_vectors", "target_keys"
INDEX_AT = "vectors_index"  # metadata: the index holding the vectors, relative to the model


def rank_arrays(ranks: TargetRank, index_folder: Path, fingerprint: str) -> dict[str, np.ndarray]:
    """What target_rank.safetensors holds: the keys alone when `index_folder` (just built) gives
    back the rank's vectors exactly, else the keys and the vectors."""
    vectors = index_vectors(ranks.keys_, index_folder, fingerprint)
    if vectors is not None and np.array_equal(vectors, ranks.vectors_):
        return {KEYS: ranks.keys_}
    return ranks.arrays()


def share_index(source: Path, index_folder: Path, fingerprint: str) -> bool:
    """Replace the vectors copied in target_rank.safetensors `source` by its keys when
    `index_folder` (another model's, just saved) gives them back exactly; whether it did."""
    arrays = load_file(str(source))
    if VECTORS not in arrays or KEYS not in arrays:
        return False
    vectors = index_vectors(arrays[KEYS], index_folder, fingerprint)
    if vectors is None or not np.array_equal(vectors, arrays[VECTORS]):
        return False
    at = Path(os.path.relpath(index_folder, source.parent)).as_posix()
    save_numpy({KEYS: arrays[KEYS]}, source, metadata={INDEX_AT: at})
    return True


def with_vectors(arrays: dict[str, np.ndarray], index_folder: Path, fingerprint: str,
                 source: Path) -> dict[str, np.ndarray]:
    """The saved arrays with their vectors: read from the index when only keys were saved (the
    model's own `index_folder`, or the one the file's metadata names); a missing index or target
    is one RunDirError naming `source` and the field."""
    if VECTORS in arrays or KEYS not in arrays:
        return arrays  # a copy saved beside the keys (or a file TargetRank refuses itself)
    at = saved_metadata(source).get(INDEX_AT)
    whose = "the model" if at is None else "the run's final model"
    if at is not None:
        index_folder = Path(os.path.normpath(source.parent / at))
    vectors = index_vectors(arrays[KEYS], index_folder, fingerprint)
    if vectors is None:
        raise RunDirError(f"{source}: field '{VECTORS}' missing, and {index_folder} (where "
                          f"{whose} saved them) lacks some; restore the run from a copy or "
                          "train it again")
    return {**arrays, VECTORS: vectors}


def index_vectors(keys: np.ndarray, index_folder: Path, fingerprint: str) -> np.ndarray | None:
    """The float16 vectors of `keys` in the index of the backbone `fingerprint` in
    `index_folder`, in their order; None unless it holds them all."""
    names = [name for name, held in indexed_fingerprints(index_folder).items()
             if held == fingerprint]
    index = open_index(index_folder / names[0], fingerprint) if names else None
    if index is None:
        return None
    found, vectors = index.vectors_of_keys(keys)
    return vectors.astype(np.float16) if found.all() else None
