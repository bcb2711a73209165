"""Where shoprel keeps what it builds once per machine (backbones, embeddings), and checksums."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from shoprel.errors import ConfigError, InputError, ShoprelError
from shoprel.utils.atomic import atomic_dir, atomic_file
from shoprel.utils.digest import sha256_of_file
from shoprel.utils.output_stamp import few_names
from shoprel.utils.path_limits import expanded_usable, nearest_existing
from shoprel.utils.shoprel_folders import STAMP
from shoprel.utils.temp_names import is_temporary

CACHE_ENV = "SHOPREL_CACHE"
META_FILE = "shoprel-backbone.json"  # what a built-in backbone folder records about its build
# in the cache root the command uses: file digests by path and stat (file_sha256)
CHECKSUMS_FILE = "checksums.json"
# in the cache root, written when shoprel first writes there: `shoprel cache prune` acts only
# on a folder that holds it (or, made by an older shoprel, what shoprel writes)
CACHE_MARKER = "shoprel-cache.json"
# the folders shoprel's writers make in the cache root (cache_inventory lists what is in them):
# with the memo and the marker, all a cache root holds, so a folder of anything else is none
CACHE_FOLDERS = ("backbones", "onnx", "embeddings", "states", "checkpoints", "ablation")
# beside a built backbone's record and in an export: touched when it is loaded, so that its
# age in `shoprel cache` is the time since it was last used, not since it was built
LAST_USED = ".shoprel-last-used"
_marked: set[str] = set()  # cache roots and use stamps this process has already written
# the digests this process read, by path, with the stamp they were read at (as the memo keeps
# them): a memo that cannot be saved (a read-only cache) still spares the command a second
# read of the same 1.2 GB of weights
_hashed_here: dict[str, tuple[list[int], str]] = {}

log = logging.getLogger(__name__)


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """An explicit folder wins, then $SHOPREL_CACHE, then ~/.cache/shoprel."""
    if cache_dir is not None:
        return _usable_root(cache_dir, "cache_dir")
    env = os.environ.get(CACHE_ENV)
    if env:
        return _usable_root(env, f"${CACHE_ENV}")
    return Path.home() / ".cache" / "shoprel"


def _usable_root(given: str | os.PathLike, where: str) -> Path:
    """`given` with `~` expanded; a path no folder can be at (a `~name` of no user known here,
    a name too long, a file or a file on the way to it, a link to nowhere) refused naming
    `where` it was set: pathlib's RuntimeError "Could not determine home directory" was a
    traceback from the first command that used the cache, and a file or a dangling link there
    was found only by the first write, after `predict` had said it was building EmbeddingGemma
    there."""
    root = Path(expanded_usable(given, where, ConfigError))
    existing = nearest_existing(root)
    if not existing.is_dir():
        said = ("is a file, not a cache folder" if existing == root.absolute()
                else f"{existing} is a file, not a folder")
        raise ConfigError(f"{where}: {root}: {said}")
    if existing != root.absolute():  # a link to nowhere on the way: no folder is made there
        link = existing / root.absolute().relative_to(existing).parts[0]
        if os.path.islink(link):
            raise ConfigError(f"{where}: {root}: {link} links to {os.readlink(link)}, which "
                              "does not exist")
    return root


def cache_folder(kind: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache's `kind` folder, for a writer about to write in it: the root is marked as
    shoprel's cache first."""
    root = cache_root(cache_dir)
    mark_cache(root)
    return root / kind


def mark_cache(root: Path) -> None:
    """Write the root's CACHE_MARKER once (made with the root when there is none); best effort:
    a read-only cache is still read. A folder of other files is refused (check_cache_root)."""
    if f"cache:{root}" in _marked:
        return
    if not is_cache_marker(root):
        check_cache_root(root)
    _marked.add(f"cache:{root}")
    if (root / CACHE_MARKER).is_file():
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        with atomic_file(root / CACHE_MARKER) as tmp:
            tmp.write_text(json.dumps({"written_by": "shoprel", "format": 1}))
    except (OSError, ShoprelError):
        log.debug("could not mark %s as shoprel's cache", root)


def check_cache_root(root: Path) -> None:
    """Refuse a cache root holding what no shoprel writer puts there ($SHOPREL_CACHE or a
    cache_dir set to a project or the home folder): the cache's folders were made among the
    user's files, which `shoprel cache` then read as its own. A new or empty folder, or one
    holding only the cache's folders and files (an older shoprel's cache, unmarked), is one."""
    foreign = foreign_names(root)
    if foreign:
        raise InputError(f"not a shoprel cache: it holds {few_names(foreign)}, which shoprel "
                         "does not write; give a new or empty folder ($SHOPREL_CACHE, the "
                         "model's cache_dir, --cache-dir) or the one shoprel keeps its cache in",
                         path=root)


def foreign_names(root: Path) -> list[str]:
    """The names in the cache root that are none of the cache's folders and files (its
    marker only when shoprel wrote it), nor a writer's temporary; none when no folder is
    there to read."""
    own = {*CACHE_FOLDERS, CHECKSUMS_FILE, *([CACHE_MARKER] if is_cache_marker(root) else [])}
    try:
        return sorted(p.name for p in Path(root).iterdir()
                      if p.name not in own and not is_temporary(p))
    except OSError:  # none yet, a file (nothing is written there), or unreadable
        return []


def is_cache_marker(root: Path) -> bool:
    """Whether the root holds the marker shoprel writes (not a file of the same name)."""
    try:
        record = json.loads((Path(root) / CACHE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("written_by") == "shoprel"


def mark_used(path: Path) -> None:
    """Set `path`'s modification time to now (made empty when missing), once per process: a
    backbone or export read every day then never looks unused to `cache prune --older-than`.
    Best effort, like every cache write."""
    if str(path) in _marked:
        return
    _marked.add(str(path))
    try:
        path.touch()  # an existing file: its times set to now
    except OSError:
        log.debug("could not record the use of %s", path)


def file_sha256(path: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                chunk: int = 1 << 22) -> str:
    """A file's SHA-256, remembered in `checksums.json` of the cache root (cache_root: the
    command's own `cache_dir` when it has one) by the file's path, size, inode and modification
    and change times: a backbone's 1.2 GB of weights is then read once per change, not by every
    command that loads it (1.7 s of each `predict` on 2 cores). Any write to the file, or a new
    file put in its place, changes the stamp. The process keeps them too: a memo that cannot be
    saved (a read-only cache) still costs one read per file and command, not one per use."""
    path = Path(path).absolute()
    stamp = _stamp(path)
    known = (_read_checksums(cache_dir) or {}).get(str(path))
    if isinstance(known, dict) and known.get("stamp") == stamp:
        return str(known["sha256"])
    hashed = _hashed_here.get(str(path))
    if hashed is not None and hashed[0] == stamp:
        sha256 = hashed[1]
    else:
        sha256 = sha256_of_file(path, chunk)
        if _stamp(path) != stamp:  # written to while it was being read: remembered nowhere
            return sha256
        _hashed_here[str(path)] = (stamp, sha256)
    _remember(str(path), stamp, sha256, cache_dir)
    return sha256


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns]


def _checksums_path(cache_dir: str | os.PathLike | None) -> Path:
    return cache_root(cache_dir) / CHECKSUMS_FILE


def _read_checksums(cache_dir: str | os.PathLike | None) -> dict | None:
    """The memo ({} when there is none), or None when the file there is not one this code
    writes (it is replaced whole, so never half-written): then it is left alone."""
    path = _checksums_path(cache_dir)
    try:
        memo = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None if path.exists() else {}
    if isinstance(memo, dict) and all(isinstance(e, dict) and {"stamp", "sha256"} <= set(e)
                                      for e in memo.values()):
        return memo
    return None


def _remember(path: str, stamp: list[int], sha256: str,
              cache_dir: str | os.PathLike | None) -> None:
    """Best effort: a cache root that cannot be written only means hashing again next time.
    Entries of files that no longer exist are dropped; concurrent writers lose an entry at
    worst (the file is replaced whole, never left half-written; a killed writer's temporary
    carries its pid, so the next writer and `shoprel cache prune` remove it)."""
    memo = _read_checksums(cache_dir)
    if memo is None:  # someone else's file: not ours to overwrite
        log.debug("%s is not a checksum memo; left as it is", _checksums_path(cache_dir))
        return
    memo = _of_existing_files(memo)
    memo[path] = {"stamp": stamp, "sha256": sha256}
    _write_checksums(memo, cache_dir)


@contextlib.contextmanager
def built_folder(folder: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                 **atomic) -> Iterator[Path]:
    """atomic_dir(folder, **atomic) for a build that hashes what it writes (weights, an
    export's graphs): the memo entries made in the temporary folder follow its rename, so the
    first use after the build finds its weights known instead of hashing them again (seconds
    for EmbeddingGemma's 1.2 GB), and the memo keeps no entry of a path gone at once."""
    tmp = None
    try:
        with atomic_dir(folder, **atomic) as tmp:
            yield tmp
    finally:
        if tmp is not None:
            _follow_rename(Path(tmp), Path(folder).expanduser(), cache_dir)


def _follow_rename(tmp: Path, folder: Path, cache_dir: str | os.PathLike | None) -> None:
    """Move the memo's entries below `tmp` to the same names below `folder`, stamped anew (the
    rename keeps each file's inode and modification time; the permissions atomic_dir opens up
    change its change time). A file not there with the same size, inode and modification time
    (a failed build: the folder is the previous one, or none) loses its entry."""
    memo = _read_checksums(cache_dir)
    prefix = f"{tmp.absolute()}{os.sep}"
    moved = {name: entry for name, entry in (memo or {}).items() if name.startswith(prefix)}
    if not moved:
        return
    for name, entry in moved.items():
        del memo[name]
        final = folder.absolute() / name[len(prefix):]
        try:
            stamp = _stamp(final)
        except OSError:
            continue
        if stamp[:3] == entry["stamp"][:3]:
            memo[str(final)] = {"stamp": stamp, "sha256": entry["sha256"]}
    _write_checksums(memo, cache_dir)


def _of_existing_files(memo: dict) -> dict:
    return {name: entry for name, entry in memo.items() if os.path.exists(name)}


def _write_checksums(memo: dict, cache_dir: str | os.PathLike | None) -> bool:
    """Replace the memo whole; False when the cache cannot be written (best effort)."""
    target = _checksums_path(cache_dir)
    mark_cache(target.parent)
    try:
        with atomic_file(target) as tmp:
            tmp.write_text(json.dumps(memo))
    except (OSError, ShoprelError):
        log.debug("could not write the checksum memo %s", target)
        return False
    return True


def gone_checksums(cache_dir: str | os.PathLike | None = None) -> tuple[int, int]:
    """How many files the cache's memo remembers that are gone (a removed run's or test's
    folder), and the bytes their entries take in it: `shoprel cache prune --stale` drops them.
    A write to the memo drops them too, but a cache nothing hashes into again keeps them."""
    memo = _read_checksums(cache_dir) or {}
    kept = _of_existing_files(memo)
    if len(kept) == len(memo):
        return 0, 0
    return len(memo) - len(kept), len(json.dumps(memo)) - len(json.dumps(kept))


def forget_gone_files(cache_dir: str | os.PathLike | None = None) -> int:
    """Rewrite the memo without the entries of files that are gone (the others stay, so
    nothing is hashed again); returns the bytes freed."""
    memo = _read_checksums(cache_dir)
    if not memo:  # none, or someone else's file: left alone
        return 0
    kept = _of_existing_files(memo)
    if len(kept) == len(memo) or not _write_checksums(kept, cache_dir):
        return 0
    return len(json.dumps(memo)) - len(json.dumps(kept))


def files_sha256(paths: list[Path], cache_dir: str | os.PathLike | None = None) -> str:
    """One digest over several files (name and content), for folders with sharded weights;
    each file's digest remembered in `cache_dir`'s memo (file_sha256)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(file_sha256(path, cache_dir).encode())
    return digest.hexdigest()


def read_meta(folder: Path) -> dict | None:
    """A backbone folder's build record, or None when it has none (or an unreadable one)."""
    try:
        return json.loads((Path(folder) / META_FILE).read_text())
    except (OSError, ValueError):
        return None


def is_build_record(meta, name: str) -> bool:
    """Whether `meta` is the record a build of built-in `name` writes (write_meta, e5-small's
    build): it names `name` and a build format. A pretrained backbone's record (pretrain
    --out: `pretrained_from`, no build format) and a build copied under another name (a
    pinned copy of e5-small) are not: nothing rebuilds them."""
    return (isinstance(meta, dict) and meta.get("name") == name
            and isinstance(meta.get("build_format"), int))


def not_a_build(folder: Path, name: str) -> str | None:
    """What the folder where built-in `name` is built holds that no build of it wrote, in a few
    words, or None when a build may replace it: missing, a link (the link goes, never what it
    leads to), empty, or a build of `name`, stale or not. A build replaces its folder whole,
    and `pretrain --out CACHE/backbones/e5-small` (a stamped output, its record no build's)
    was deleted without a word by the next command that resolved e5-small."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return None
    if (folder / STAMP).is_file():
        return "an output a shoprel command wrote (pretrain --out)"
    meta = read_meta(folder)
    if is_build_record(meta, name):
        return None
    held = [p.name for p in folder.iterdir() if p.name != LAST_USED and not is_temporary(p)]
    if not held:
        return None
    return f"{few_names(held)}, with no record of a build of {name}"


def weights_stale_reason(folder: Path, meta: dict, verify: bool = True,
                         cache_dir: str | os.PathLike | None = None) -> str | None:
    """Why the weight files a build record lists cannot be used (missing, or a checksum that
    no longer matches), or None when they can; `cache_dir`: whose checksum memo to use."""
    weights = [Path(folder) / name for name in meta.get("weights_files", [])]
    missing = [p.name for p in weights if not p.is_file()]
    if not weights or missing:
        return f"weights missing: {', '.join(missing) or 'none recorded'}"
    if verify and files_sha256(weights, cache_dir) != meta["weights_sha256"]:
        return "weights do not match their recorded SHA-256"
    return None


def write_meta(folder: Path, name: str, build_format: int, sources, weights: list[Path], *,
               cache_dir: str | os.PathLike | None = None, **extra) -> dict:
    """Record what built a backbone folder and its weight files' checksum (read_meta reads it,
    build_stale_reason checks it); `cache_dir`: whose checksum memo to use."""
    meta = {"name": name, "build_format": build_format, "sources": sources,
            "weights_files": [str(Path(p).relative_to(folder)) for p in weights],
            "weights_sha256": files_sha256(weights, cache_dir), "query_prefix": "",
            "passage_prefix": "", "model_kwargs": {}, **extra}
    (Path(folder) / META_FILE).write_text(json.dumps(meta, indent=2))
    return meta


def build_stale_reason(folder: Path, meta: dict | None, build_format: int, verify: bool = True,
                       sources=None, cache_dir: str | os.PathLike | None = None) -> str | None:
    """Why a built folder cannot be used as it is (not built, another build format or source
    version when `sources` is known, changed weights), or None when it can; `cache_dir`: the
    cache it is built in, whose checksum memo is used."""
    if meta is None:
        return "not built yet"
    if meta.get("build_format") != build_format:
        return "built by another shoprel version"
    if sources and meta.get("sources") != sources:
        return "built by another source package version"
    return weights_stale_reason(folder, meta, verify, cache_dir)
