"""The neighbour votes' query vectors of a run's fold models, saved as places among the final
model's.

Each fold model's neighbours.safetensors kept a float16 copy of its training queries' vectors
(1.34 MB of EmbeddingGemma vectors per fold of a default run on 2,001 QI rows), although its
training rows are among the final model's, which saves each of their distinct query vectors
once. Once the final model is saved (runner), a fold's copy whose every row the final model's
file holds bit for bit is replaced by places among those rows, and the file's metadata names
that file (QUERIES_AT, relative to the fold's folder: `../full/neighbours.safetensors`) and
the digest of its rows (DIGEST); loading reads the same vectors back, so the votes and scores
are the same, and a file there that is missing, damaged or other is said to be so. A fold
model saved anywhere else keeps the copy, as do models saved before.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file

from shoprel.errors import RunDirError
from shoprel.models.embed.vector_rows import DISTINCT, PLACE, places_in, unpacked
from shoprel.utils.safetensors_file import save_numpy
from shoprel.utils.safetensors_metadata import saved_metadata

QUERIES = "neighbour_q"
ROWS, PLACES = QUERIES + DISTINCT, QUERIES + PLACE
QUERIES_AT = "queries_from"  # metadata: the file holding the query rows, relative to the model
DIGEST = "queries_digest"  # metadata: those rows' digest, so a changed file is told, not misread


def share_queries(source: Path, final: Path) -> bool:
    """Replace the query vectors copied in neighbours.safetensors `source` by places among the
    rows of `final` (the final model's neighbours.safetensors, just saved) when it holds every
    one bit for bit; whether it did."""
    arrays = load_file(str(source))
    if ROWS not in arrays or PLACES not in arrays or not final.is_file():
        return False
    try:
        table = final_rows(final)
    except RunDirError:
        return False
    own = arrays[ROWS]
    if table.dtype != own.dtype or table.ndim != 2 or table.shape[1:] != own.shape[1:]:
        return False
    places = places_in(own, table)
    if places is None:
        return False
    kept = {name: array for name, array in arrays.items() if name != ROWS}
    kept[PLACES] = places[arrays[PLACES]]
    at = Path(os.path.relpath(final, source.parent)).as_posix()
    save_numpy(kept, source,
               metadata={**saved_metadata(source), QUERIES_AT: at, DIGEST: digest(table)})
    return True


def with_queries(arrays: dict[str, np.ndarray], source: Path) -> dict[str, np.ndarray]:
    """The saved arrays with one query vector per training row (`neighbour_q`) where the file
    keeps only places among the final model's (its metadata names that file); a missing,
    damaged or changed file there is one RunDirError naming `source`, the field and the file."""
    metadata = saved_metadata(source)
    at = metadata.get(QUERIES_AT)
    if at is None or ROWS in arrays or QUERIES in arrays or PLACES not in arrays:
        return arrays  # the model's own copy (or a layout NeighbourVotes judges itself)
    final = Path(os.path.normpath(source.parent / at))
    try:
        table = final_rows(final)
    except RunDirError as error:
        raise RunDirError(f"{source}: field {ROWS!r} missing, and {error} (where the run's "
                          "final model saved them); restore the run from a copy or train it "
                          "again") from None
    if digest(table) != metadata.get(DIGEST):
        raise RunDirError(f"{source}: field {ROWS!r} missing, and {final} field {ROWS!r} holds "
                          "other vectors than the run's final model saved; restore the run "
                          "from a copy or train it again")
    rows = unpacked(arrays, QUERIES, source, (f"{final} field {ROWS!r}", table))
    return {**{name: array for name, array in arrays.items() if name != PLACES}, QUERIES: rows}


def final_rows(final: Path) -> np.ndarray:
    """The distinct query vectors saved in `final`; RunDirError (naming the file and field)
    when it is missing, unreadable or lacks them."""
    if not final.is_file():
        raise RunDirError(f"{final} is missing")
    try:
        with safe_open(str(final), "np") as saved:
            if ROWS not in saved.keys():
                raise RunDirError(f"{final} has no field {ROWS!r}")
            return saved.get_tensor(ROWS)
    except (OSError, SafetensorError) as error:
        raise RunDirError(f"{final} is not readable ({error})") from None


def digest(rows: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(rows).tobytes(), digest_size=16).hexdigest()
