"""Embeddings computed ahead of scoring (a category taxonomy, a catalogue of titles), so that a
pair whose target is indexed needs only its query embedded.

One folder per backbone: `meta.json` (the weights' fingerprint, the dimension, the kinds of text
it holds) and segments, each two plain arrays — sorted 64-bit keys of (kind, text) and float32
vectors in the same order. Segments are memory-mapped, so millions of titles cost disk rather
than memory, and a lookup is a binary search. A build writes numbered parts of new texts
(growing from FIRST_PART_TEXTS), each atomically, and merges them into one segment at the end
(each of its files written whole beside its place, fsynced, then renamed; the keys last): a
killed build rerun over the same input skips the parts it already has; the finished parts of a
killed build of another input (the file changed since) are merged into the index by the next
build, not embedded again nor left behind. A parts folder loses only what builds write there
(build.json, the parts, their temporaries): a file a user put in it stays, and is said. Vectors
are stored as computed (float32), so an indexed score equals the score computed without the
index.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from shoprel.errors import OutputError, RunDirError
from shoprel.utils.atomic import atomic_file
from shoprel.utils.output_stamp import few_names
from shoprel.utils.shoprel_folders import is_index_folder, occupied
from shoprel.utils.temp_names import TEMP_FILE

log = logging.getLogger(__name__)

META = "meta.json"
BUILD_META = "build.json"  # in a build's parts folder: which weights embedded its parts
# in meta.json and build.json: the kinds of text the segments or parts hold ("passage"), so a
# lookup of another kind (a query) skips the index; absent (an older build): any kind
KINDS = "kinds"
KEYS, VECTORS = ".keys.npy", ".vectors.npy"
PARTS = "build-"  # a build's parts folder: `build-` and a digest of what it builds
PARTS_FOLDER = re.compile(r"build-[0-9a-f]{16}")  # a parts folder's whole name
PART_FILE = re.compile(r"part-\d{6}\.(keys|vectors)\.npy")  # a part's two files
# a segment's vectors, as _merge names them (`seg-` and 16 hex of its keys): written before the
# keys, so one without its keys file is what a killed join left
SEGMENT_VECTORS = re.compile(r"seg-[0-9a-f]{16}\.vectors\.npy")
PART_TEXTS = 4096  # new texts per resumable part, once parts have grown to it
# the first part's texts; each next part holds twice as many, up to PART_TEXTS, so a stop loses
# at most the part in progress, no more than the parts before it hold. EmbeddingGemma embeds
# ~17 category paths a second on 2 cores (~7 beside other jobs): a first part of 4,096 took
# 4 minutes, one of 512 30-70 s, and a build stopped before it was whole kept nothing. 32 is
# one batch of the ONNX encoder, kept after a few seconds
FIRST_PART_TEXTS = 32
MERGE_ROWS = 65_536  # vectors gathered in memory at a time while parts are joined
FORMAT = 1
# inside a saved model's folder: the vectors of the targets it was fitted on, so that scoring
# them later (the taxonomy a QC model learned) embeds nothing
OWN_TARGETS_FOLDER = "index"


@dataclass(frozen=True)
class Added:
    """Texts a build added to the index: embedded now, and resumed (the finished parts of a
    stopped build, taken over without embedding). A rerun after a stop said '4,000 new texts
    added' where 1,536 of them had been kept, not embedded again."""

    embedded: int = 0
    resumed: int = 0

    @property
    def total(self) -> int:
        return self.embedded + self.resumed

    def __add__(self, other: Added) -> Added:
        return Added(self.embedded + other.embedded, self.resumed + other.resumed)


@lru_cache(maxsize=1 << 16)  # a catalogue's targets recur in every batch a server scores
def text_hash(kind: str, text: str) -> int:
    digest = hashlib.blake2b(f"{kind}\x00{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def hashes(kind: str, texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((text_hash(kind, t) for t in texts), dtype=np.uint64)


def _save_array(path: Path, array: np.ndarray) -> None:
    with atomic_file(path, durable=True) as tmp, open(tmp, "wb") as fh:
        try:
            np.save(fh, array, allow_pickle=False)
        except OSError as exc:
            if exc.errno is not None:
                raise
            # numpy's short write ('65536 requested and 13280 written') carries no errno: a
            # full disk, told by atomic_file in one line like any other output's
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) from exc


def _save_rows(path: Path, shape: tuple[int, int], blocks: Iterable[np.ndarray]) -> None:
    """One float32 array file written block by block, for a joined segment larger than memory.
    Plain writes beside the target, renamed into place once whole (atomic_file): a full disk
    is an OSError told in one line and an interrupt leaves nothing, where a memory map over a
    sparse file died of SIGBUS on a full disk and left its temporary file behind."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
              "fortran_order": False, "shape": shape}
    with atomic_file(path, durable=True) as tmp, open(tmp, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        for block in blocks:
            fh.write(np.ascontiguousarray(block, dtype=np.float32).data)


class TargetIndex:
    """Read side: the segments of one backbone's folder, memory-mapped."""

    def __init__(self, folder: str | os.PathLike, fingerprint: str):
        self.folder = Path(folder)
        meta = read_meta(self.folder)
        if meta["fingerprint"] != fingerprint:
            raise RunDirError(f"{self.folder / META}: field 'fingerprint': the index holds "
                              f"embeddings of {meta['fingerprint']}, but the model uses "
                              f"{fingerprint}; rebuild it with `shoprel index`")
        self.dim = int(meta["dim"])
        self.kinds = _recorded_kinds(meta, self.folder)
        self.segments = []
        for keys_file in sorted(self.folder.glob(f"seg-*{KEYS}")):
            vectors_file = keys_file.with_name(keys_file.name[:-len(KEYS)] + VECTORS)
            keys, vectors = self._segment_array(keys_file), self._segment_array(vectors_file)
            if keys.dtype != np.uint64 or keys.ndim != 1:
                raise self._broken(keys_file, f"holds {keys.dtype} of shape {keys.shape}, not "
                                              "one row of 64-bit keys")
            if vectors.shape != (len(keys), self.dim):
                raise self._broken(vectors_file, f"shape {vectors.shape} does not match "
                                                 f"{len(keys)} keys of dimension {self.dim}")
            self.segments.append((keys, vectors))

    def _segment_array(self, path: Path) -> np.ndarray:
        """One array of a segment, memory-mapped; a truncated or foreign file is named."""
        try:
            return np.load(path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise self._broken(path, "missing") from None
        except ValueError as exc:  # numpy's own advice (allow_pickle) is no use here
            reason = ("not a NumPy array file" if "pickle" in str(exc)
                      else f"truncated or unreadable ({exc})")
            raise self._broken(path, reason) from None
        except OSError as exc:
            raise self._broken(path, f"unreadable ({exc.strerror or exc})") from None

    def _broken(self, path: Path, reason: str) -> RunDirError:
        """The way out of a damaged index: `shoprel index` rebuilds one it wrote; the targets a
        model saved beside its weights come back only with the run."""
        if is_index_folder(self.folder.parent):
            fix = f"remove {self.folder} and rebuild it with `shoprel index`"
        else:
            fix = "the model folder is damaged: restore the run from a copy or train it again"
        return RunDirError(f"{path}: {reason}; {fix}")

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self.segments)

    def may_hold(self, kind: str) -> bool:
        """Whether texts of `kind` can be in the index: an index holds targets, so a query is
        neither hashed nor searched for. An index built before kinds were recorded may hold
        any."""
        return self.kinds is None or kind in self.kinds

    def _matches(self, kind: str, texts: list[str]):
        """(segment vectors, text positions found there, their rows) for each segment."""
        if self.may_hold(kind):
            yield from self._keyed(hashes(kind, texts))

    def _keyed(self, wanted: np.ndarray):
        """(segment vectors, positions of `wanted` keys found there, their rows) per segment."""
        for keys, vectors in self.segments:
            if len(keys):
                at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
                hit = np.flatnonzero(keys[at] == wanted)
                yield vectors, hit, at[hit]

    def lookup(self, kind: str, texts: list[str]) -> dict[str, np.ndarray]:
        """The vectors of those texts that are indexed."""
        found: dict[str, np.ndarray] = {}
        for vectors, hit, rows in self._matches(kind, texts):
            gathered = np.asarray(vectors[rows], dtype=np.float32)  # one read, not one per row
            for i, vector in zip(hit, gathered, strict=True):
                found.setdefault(texts[i], vector)
        return found

    def vectors_of_keys(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(whether each key is indexed, the float32 vectors of those that are, in order): for
        arrays saved as keys of texts (`hashes`) rather than the texts."""
        found = np.zeros(len(keys), dtype=bool)
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        for vectors, hit, rows in self._keyed(np.asarray(keys, dtype=np.uint64)):
            new = ~found[hit]
            out[hit[new]] = vectors[rows[new]]
            found[hit[new]] = True
        return found, out[found]

    def has(self, kind: str, texts: list[str]) -> np.ndarray:
        present = np.zeros(len(texts), dtype=bool)
        for _, hit, _ in self._matches(kind, texts):
            present[hit] = True
        return present


def read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / META).read_text())
    except FileNotFoundError:
        raise RunDirError(f"{folder}: not a target index (no {META})") from None
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{folder / META}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "fingerprint" not in meta:
        raise RunDirError(f"{folder / META}: not a format-{FORMAT} target index")
    return meta


def _recorded_kinds(meta: dict, folder: Path) -> frozenset[str] | None:
    """The kinds meta.json says the index holds; None (any kind) when it does not say."""
    kinds = _kinds_or_none(meta.get(KINDS))
    if kinds is None and meta.get(KINDS) is not None:
        raise RunDirError(f"{folder / META}: field '{KINDS}': not a list of texts; remove the "
                          "field (the index is then searched for every kind)")
    return kinds


def indexed_fingerprints(folder: Path) -> dict[str, str]:
    """{sub-folder: the weights it holds embeddings of} for each index in an index folder
    (one per backbone); unreadable ones are left out (opening them says why)."""
    found = {}
    for meta_file in sorted(Path(folder).glob(f"*/{META}")):
        try:
            meta = json.loads(meta_file.read_text())
            found[meta_file.parent.name] = str(meta["fingerprint"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def has_stopped_build(folder: Path) -> bool:
    """Whether a backbone's folder holds the parts of a build that was stopped (a rerun of it
    goes on from them): its index may lack texts, or be missing altogether."""
    return any(entry.name == BUILD_META or PART_FILE.fullmatch(entry.name)
               for parts in _parts_folders(Path(folder)) for entry in parts.iterdir())


def _parts_folders(folder: Path) -> list[Path]:
    """The folders named as a build names its parts folder (a link or a user's `build-notes`
    is none)."""
    return [parts for parts in sorted(folder.glob(f"{PARTS}*"))
            if PARTS_FOLDER.fullmatch(parts.name) and parts.is_dir() and not parts.is_symlink()]


def _written_by_build(entry: Path) -> bool:
    """Whether a parts folder's entry is a file builds write there: build.json, a part's
    keys or vectors, or the temporary file of one of these (a killed write's)."""
    temporary = TEMP_FILE.match(entry.name)
    name = temporary["name"] if temporary else entry.name
    return ((name == BUILD_META or PART_FILE.fullmatch(name) is not None)
            and (entry.is_symlink() or entry.is_file()))


def _clear_parts(parts: Path) -> None:
    """Remove what builds wrote in a parts folder, then the folder once nothing else is in it.
    A file a user put there stays, with the folder, and is said in one line: the folder was
    removed whole, the user's file with it, whether or not its parts were merged."""
    kept = _remove_parts(parts)
    if kept:
        said_kept(parts, kept)


def said_kept(folder: Path, kept: list[str]) -> None:
    """The one line for a folder a build cleared that stays for the user's files in it."""
    log.warning("%s: kept, as it holds %s, which no index build wrote (the build's own files "
                "in it were removed); move %s out and delete the folder", folder,
                few_names(kept), "it" if len(kept) == 1 else "them")


def _remove_parts(parts: Path) -> list[str]:
    """_clear_parts without a word: the names of what it kept (none: the folder is gone)."""
    kept = []
    with contextlib.suppress(FileNotFoundError):
        for entry in parts.iterdir():
            if not _written_by_build(entry):
                kept.append(entry.name)
                continue
            with contextlib.suppress(OSError):  # best effort, as the parts' removal always was
                entry.unlink()
    if not kept:
        with contextlib.suppress(OSError):
            parts.rmdir()
    return kept


def clear_unfinished(folder: Path) -> list[str]:
    """Remove what a build that finished no part wrote in a backbone's folder (its parts
    folders' own files, as _clear_parts does), then the folder once nothing else is in it;
    returns what it kept, relative to the folder (a file a user put there meanwhile), for the
    caller to say: the index folder of a build that failed was removed whole, with it."""
    kept = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(folder.iterdir()):
            if entry in _parts_folders(folder):
                kept.extend(f"{entry.name}/{name}" for name in _remove_parts(entry))
            else:
                kept.append(entry.name)
    if not kept:
        with contextlib.suppress(OSError):
            folder.rmdir()
    return kept


def open_index(folder: Path, fingerprint: str) -> TargetIndex | None:
    """The index in `folder` when it has one; None when it has none yet."""
    return TargetIndex(folder, fingerprint) if (folder / META).is_file() else None


def build_segment(folder: str | os.PathLike, fingerprint: str, items: Iterable[tuple[str, str]],
                  embed: Callable[[list[str], str], np.ndarray], build_id: str,
                  on_part: Callable[[int], None] | None = None) -> Added:
    """Embed the (kind, text) items not indexed yet into a new segment; returns how many,
    embedded and resumed.

    `build_id` names the input (its path, size and time, say): a rerun with the same id resumes
    from the parts already written. Texts are grouped into parts in input order (growing from
    FIRST_PART_TEXTS to PART_TEXTS), so the parts of a rerun line up with the killed build's; a
    part is reused only when it holds the very texts its batch holds now, and embedded again
    otherwise.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    open_index(folder, fingerprint)  # an index of other weights is refused before any change
    parts = folder / f"{PARTS}{hashlib.sha256(build_id.encode()).hexdigest()[:16]}"
    if parts.is_symlink() or (parts.exists() and not parts.is_dir()):
        raise OutputError(f"{parts}: where this build keeps its parts, but not a folder a build "
                          "made (a link or a file); move it away and run the command again")
    _remove_old_joins(folder)
    absorbed = _absorb_leftovers(folder, fingerprint, keep=parts)
    existing = open_index(folder, fingerprint)
    parts.mkdir(exist_ok=True)
    if not (parts / BUILD_META).is_file():
        _write_json(parts / BUILD_META, {"fingerprint": fingerprint, KINDS: []})
    dim = existing.dim if existing else None
    count = resumed = 0
    done: list[tuple[Path, Path]] = []  # this build's parts: a stale one beyond them is no text
    kinds: set[str] = set()  # of the texts in those parts
    for number, batch in enumerate(_new_batches(items, existing)):
        if not batch:
            continue
        keys_file = parts / f"part-{number:06d}{KEYS}"
        vectors_file = parts / f"part-{number:06d}{VECTORS}"
        by_kind = _by_kind(batch)
        kinds.update(by_kind)
        keys = np.concatenate([hashes(kind, texts) for kind, texts in by_kind.items()])
        if _part_holds(keys_file, vectors_file, keys):
            resumed += len(batch)
        else:
            _widen_kinds(parts / BUILD_META, by_kind)  # first: a leftover part's kind is known
            vectors = [np.asarray(embed(texts, kind), dtype=np.float32)
                       for kind, texts in by_kind.items()]
            _save_array(vectors_file, np.vstack(vectors))
            _save_array(keys_file, keys)  # last: marks the part complete
        done.append((keys_file, vectors_file))
        count += len(batch)
        if on_part is not None:
            on_part(len(batch))
    if count:
        _merge(folder, done, fingerprint, dim, kinds)
    _clear_parts(parts)
    return Added(count - resumed, resumed + absorbed)


def _by_kind(batch: list[tuple[str, str]]) -> dict[str, list[str]]:
    """A part's texts grouped by kind, kinds in order of first use: the order its keys and
    vectors are stored in."""
    by_kind: dict[str, list[str]] = {}
    for kind, text in batch:
        by_kind.setdefault(kind, []).append(text)
    return by_kind


def _part_holds(keys_file: Path, vectors_file: Path, keys: np.ndarray) -> bool:
    """Whether a finished part holds exactly these keys: a part left by a build of other
    content under the same id (the file rewritten with its size and time kept) is embedded
    again, not taken for this batch's texts."""
    if not (keys_file.is_file() and vectors_file.is_file()):
        return False
    try:
        stored = np.load(keys_file, allow_pickle=False)
        rows = np.load(vectors_file, mmap_mode="r", allow_pickle=False).shape[0]
    except (OSError, ValueError):
        return False
    return rows == len(keys) and np.array_equal(stored, keys)


def _complete_parts(parts: Path) -> list[tuple[Path, Path]]:
    """(keys, vectors) of each part written whole: the keys file is saved last."""
    found = []
    for keys_file in sorted(parts.glob(f"part-*{KEYS}")):
        vectors_file = keys_file.with_name(keys_file.name[:-len(KEYS)] + VECTORS)
        if PART_FILE.fullmatch(keys_file.name) and keys_file.is_file() and vectors_file.is_file():
            found.append((keys_file, vectors_file))
    return found


def _remove_old_joins(folder: Path) -> None:
    """Remove the segment an older shoprel was joining when it died ('seg-*.vectors.npy.tmp',
    written in place through a memory map, as large as the whole segment), and the vectors of
    a join killed before its keys were saved (SEGMENT_VECTORS with no keys file): never read,
    but left behind they kept a full disk full. Their parts are still in their build-* folder.
    Only files of those names: a link or a folder so named is not a join's."""
    leftovers = [*folder.glob(f"seg-*{VECTORS}.tmp"),
                 *(vectors for vectors in folder.glob(f"seg-*{VECTORS}")
                   if SEGMENT_VECTORS.fullmatch(vectors.name)
                   and not occupied(vectors.with_name(vectors.name[:-len(VECTORS)] + KEYS)))]
    for leftover in leftovers:
        if leftover.is_file() and not leftover.is_symlink():
            leftover.unlink(missing_ok=True)


def _absorb_leftovers(folder: Path, fingerprint: str, keep: Path) -> int:
    """Merge the finished parts of other killed builds of the same weights into the index and
    clear their folders (_clear_parts); the parts of other weights (or of an older shoprel,
    which did not record them) are removed unread. Returns how many texts were merged."""
    merged = 0
    for parts in _parts_folders(folder):
        if parts == keep:
            continue
        try:
            build = json.loads((parts / BUILD_META).read_text())
            same = build["fingerprint"] == fingerprint
            kinds = _kinds_or_none(build.get(KINDS))  # None: an older shoprel's, unrecorded
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            same, kinds = False, None
        complete = _complete_parts(parts) if same else []
        if complete:
            existing = open_index(folder, fingerprint)
            merged += _merge(folder, complete, fingerprint, existing.dim if existing else None,
                             kinds)
        _clear_parts(parts)
    return merged


def _new_batches(items: Iterable[tuple[str, str]], existing: TargetIndex | None
                 ) -> Iterator[list[tuple[str, str]]]:
    """Distinct items not in the index yet, in parts of FIRST_PART_TEXTS doubling up to
    PART_TEXTS: the same input gives the same parts, so a rerun lines up with a killed build."""
    seen: set[int] = set()
    batch: list[tuple[str, str]] = []
    size = min(FIRST_PART_TEXTS, PART_TEXTS)
    for kind, text in items:
        key = text_hash(kind, text)
        if key not in seen:
            seen.add(key)
            batch.append((kind, text))
        if len(batch) == size:
            yield _not_indexed(batch, existing)
            batch = []
            size = min(2 * size, PART_TEXTS)
    if batch:
        yield _not_indexed(batch, existing)


def _not_indexed(batch: list[tuple[str, str]], existing: TargetIndex | None
                 ) -> list[tuple[str, str]]:
    if existing is None:
        return batch
    present = np.zeros(len(batch), dtype=bool)
    for kind in {k for k, _ in batch}:
        rows = [i for i, (k, _) in enumerate(batch) if k == kind]
        present[rows] = existing.has(kind, [batch[i][1] for i in rows])
    return [item for item, known in zip(batch, present, strict=True) if not known]


def _merge(folder: Path, parts: list[tuple[Path, Path]], fingerprint: str,
           dim: int | None, kinds: set[str] | frozenset[str] | None) -> int:
    """Join the (keys, vectors) parts into one sorted segment; meta.json is written once the
    segment is, and an existing one's kinds widened (or dropped, `kinds` None: not known)
    before it is, so that no reader skips the index for a kind it holds. Returns how many texts
    it holds."""
    keys = [np.load(k, allow_pickle=False) for k, _ in parts]
    vectors = [np.load(v, mmap_mode="r", allow_pickle=False) for _, v in parts]
    all_keys = np.concatenate(keys)
    order = np.argsort(all_keys, kind="stable")
    dim = dim or int(vectors[0].shape[1])
    if any(v.shape[1] != dim for v in vectors):
        raise RunDirError(f"{parts[0][0].parent}: parts of different dimensions; remove the "
                          "folder")
    name = f"seg-{hashlib.sha256(all_keys.tobytes()).hexdigest()[:16]}"
    if (folder / META).is_file():
        _widen_kinds(folder / META, kinds)
    elif any(folder.glob(f"seg-*{KEYS}")):  # a segment a killed build left before its meta
        kinds = None
    _save_rows(folder / f"{name}{VECTORS}", (len(all_keys), dim),
               _sorted_rows(vectors, [len(k) for k in keys], order, dim))
    _save_array(folder / f"{name}{KEYS}", all_keys[order])  # last: marks the segment whole
    if not (folder / META).is_file():
        meta = {"format": FORMAT, "fingerprint": fingerprint, "dim": dim}
        _write_json(folder / META, meta if kinds is None else {**meta, KINDS: sorted(kinds)})
    return len(all_keys)


def _write_json(path: Path, value: dict) -> None:
    with atomic_file(path, durable=True) as tmp:
        Path(tmp).write_text(json.dumps(value))


def _kinds_or_none(value) -> frozenset[str] | None:
    """A recorded kinds list as a set; None when there is none or it is not one."""
    if isinstance(value, list) and all(isinstance(k, str) for k in value):
        return frozenset(value)
    return None


def _widen_kinds(path: Path, kinds) -> None:
    """Add `kinds` to the record in a meta.json or build.json, before texts of those kinds are
    written; `kinds` None (not known) removes the record: any kind may then be there. A file
    that records none already says "any kind", and is left as it is."""
    try:
        record = json.loads(path.read_text())
        recorded = _kinds_or_none(record.get(KINDS))
    except (OSError, ValueError, AttributeError):  # a parts folder no build will take
        return
    if recorded is None or (kinds is not None and recorded >= set(kinds)):
        return
    if kinds is None:
        record.pop(KINDS)
    else:
        record[KINDS] = sorted(recorded | set(kinds))
    _write_json(path, record)


def _sorted_rows(vectors: list[np.ndarray], lengths: list[int], order: np.ndarray, dim: int,
                 rows: int = MERGE_ROWS) -> Iterator[np.ndarray]:
    """The parts' vectors in key order, `rows` at a time: memory stays flat however large the
    segment."""
    starts = np.cumsum([0, *lengths])
    for first in range(0, len(order), rows):
        wanted = order[first:first + rows]
        source_part = np.searchsorted(starts, wanted, side="right") - 1
        block = np.empty((len(wanted), dim), dtype=np.float32)
        for part in np.unique(source_part):
            at = np.flatnonzero(source_part == part)
            block[at] = vectors[part][wanted[at] - starts[part]]
        yield block
