"""The stamp that records what shoprel wrote into a folder, and whether --overwrite may
replace a folder by it (or, unstamped, by what older outputs held)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from shoprel.errors import OutputError
from shoprel.utils.export_names import EXPORT_FILES, EXPORT_FOLDER
from shoprel.utils.lock_files import foreign_lock_words
from shoprel.utils.shoprel_folders import (
    RUN_MARKER,
    STAMP,
    PathLike,
    holds_marker,
    is_index_folder,
    resolved,
)
from shoprel.utils.temp_names import LOCK_FILE, is_temporary

INDEX_FOLDER = "index"  # predict/index.py's INDEX_FOLDER: a run's own index, added after its stamp
# what `shoprel index` writes below an index folder (predict/index.py, target_index.py): its
# marker, and per backbone meta.json, merged segments (a killed merge's .tmp) and the parts
# of a killed build; a test builds a real index and checks it against these
_INDEX_FILE = re.compile(r"index\.json|[^/]+/(meta\.json|seg-[0-9a-f]{16}\.(keys|vectors)\.npy"
                         r"(\.tmp)?|build-[0-9a-f]{16}/(build\.json|"
                         r"part-\d{6}\.(keys|vectors)\.npy))")
# what runs written before the stamp existed hold at their top level
LEGACY_RUN_ENTRIES = frozenset({"run.json", "config.yaml", "folds.parquet", "oof.parquet",
                                "metrics.json", "report.html", "models", "learning_curve.json"})
# and below their top level, in models/: per model (full, fold_N) the files of the families of
# that time (fast's, and embed's copy of them in fast/; a cross-encoder's hf/ as transformers'
# save_pretrained writes it, an llm's peft adapter/) and an export: anything else there is a
# user's (tests/cli/test_overwrite_users_files.py replaces an unstamped fast run)
_HF_FILE = (r"(generation_)?config\.json|model(-\d{5}-of-\d{5})?\.safetensors"
            r"|model\.safetensors\.index\.json|tokenizer(_config)?\.json"
            r"|special_tokens_map\.json|added_tokens\.json|vocab\.(txt|json)|merges\.txt"
            r"|(sentencepiece\.bpe|spiece|spm|tokenizer)\.model|chat_template\.(jinja|json)")
LEGACY_RUN_FILES = re.compile(
    r"models/(full|fold_\d+)/((fast/)?(model\.json|linear\.safetensors|priors\.json"
    r"|lightgbm\.txt)|hf/(" + _HF_FILE + r")|adapter/(adapter_config\.json"
    r"|adapter_model\.safetensors|README\.md)|" + EXPORT_FOLDER + "/("
    + "|".join(sorted(map(re.escape, EXPORT_FILES))) + "))")

# what an unstamped folder of the kind may hold at its top level: names, or a pattern of them;
# None: anything beside its marker
LegacyEntries = frozenset[str] | re.Pattern[str] | None
# and below its top level: a pattern of paths relative to the folder; None: not checked (a
# kind whose unstamped outputs held only files, which the names above tell)
LegacyFiles = re.Pattern[str] | None


def read_stamp(folder: Path) -> dict | None:
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and isinstance(stamp.get("entries"), list) else None


def check_replaceable(folder: PathLike, legacy_entries: LegacyEntries = LEGACY_RUN_ENTRIES,
                      marker: str = RUN_MARKER,
                      legacy_files: LegacyFiles = LEGACY_RUN_FILES) -> None:
    """--overwrite replaces an empty folder or one shoprel wrote, of the same kind (its
    `marker` file: a run's run.json, a backbone's record), holding nothing else.

    A stamped folder may hold exactly what its stamp lists; an older one needs its marker file
    and, when `legacy_entries` is given, nothing beyond those names (or names it matches), nor
    below them, when `legacy_files` is given, files beyond the paths it matches (a user's
    notes in an older run's models/ were deleted with it).
    """
    folder = Path(folder)
    entries = {p.name for p in folder.iterdir() if not is_temporary(p)} - {STAMP}
    if not entries:
        return
    stamp = read_stamp(folder)
    if stamp is not None and marker not in entries:
        raise OutputError(f"{folder}: holds another kind of shoprel output (no {marker}); "
                          "--overwrite replaces only an output of the same kind, choose "
                          "another output folder")
    own = set()
    if stamp is not None:
        # an output written to go inside this one (a carried student) whose stop came before
        # it was added to this stamp: its own stamp says so, and is checked in turn below
        own = {name for name in entries - set(stamp["entries"])
               if is_written_for(folder / name, folder)}
        foreign = entries - set(stamp["entries"]) - own
    elif holds_marker(folder, marker):
        foreign = _not_legacy(entries, legacy_entries)
        if not foreign and legacy_files is not None:
            foreign = {name for name in _tree(folder)
                       if "/" in name and not legacy_files.fullmatch(name)}
    else:
        raise OutputError(f"{folder}: not a folder shoprel wrote (no {marker}); --overwrite "
                          "replaces only shoprel's outputs, choose another output folder")
    if stamp is not None and not foreign:
        foreign = _foreign_files(folder, stamp, own)
    if foreign:
        raise OutputError(_foreign_message(folder, foreign))


def _foreign_message(folder: Path, foreign: set[str]) -> str:
    """Why --overwrite refuses `folder`: what it holds that shoprel did not write, a lock
    file said to be one, with what it holds (an older shoprel's bare pid, left when it was
    killed, read as anything else would leave the user to guess what the file is)."""
    locks = {name: _lock_words(folder / name) for name in foreign}
    locks = {name: words for name, words in locks.items() if words is not None}
    if len(foreign) == 1 and locks:
        (name, words), = locks.items()
        return (f"{folder}: holds {name}, a lock file shoprel cannot tell for its own ({words}); "
                "--overwrite would delete it: delete it if nothing uses it, or choose another "
                "folder")
    shown = few_names(foreign, lambda name: name + (f" (a lock file: {locks[name]})"
                                                    if name in locks else ""))
    return (f"{folder}: holds {shown}, which shoprel did not write there; --overwrite would "
            "delete it: move it away or choose another folder")


def _lock_words(path: Path) -> str | None:
    """What a lock file that is not shoprel's holds (lock_files.foreign_lock_words), or None
    for a path that is no lock file."""
    if not LOCK_FILE.match(path.name) or path.is_symlink() or not path.is_file():
        return None
    try:
        with open(path, "rb") as handle:
            return foreign_lock_words(handle.read(64))
    except OSError:
        return None


def _not_legacy(entries: set[str], legacy_entries: LegacyEntries) -> set[str]:
    """The entries an unstamped output of the kind never held (see LegacyEntries)."""
    if legacy_entries is None:
        return set()
    if isinstance(legacy_entries, re.Pattern):
        return {name for name in entries if not legacy_entries.fullmatch(name)}
    return entries - legacy_entries


def few_names(names: Iterable[str], said=str) -> str:
    """The first five names, sorted, for a one-line message about what a folder holds; each
    written as `said` gives it (a name with a note beside it)."""
    names = sorted(names)
    return ", ".join(map(said, names[:5])) + (" ..." if len(names) > 5 else "")


def _tree(folder: Path) -> list[str]:
    """Every file (and link) below `folder`, relative, but the stamp and temporary names."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not is_temporary(Path(root) / d)]
        base = Path(root).relative_to(folder)
        found += [(base / name).as_posix() for name in files
                  if not is_temporary(Path(root) / name)
                  and not (base == Path(".") and name == STAMP)]
    return found


def _foreign_files(folder: Path, stamp: dict, own: set[str] = frozenset()) -> set[str]:
    """Files below the top level that the stamp does not list (a stamp written before stamps
    listed files is checked at its top level only). What was added after the stamp (`open`: a
    carried student, the run's index, an export; `own`: one written for this folder, not yet
    added) holds what its own writer put there; one that is itself a stamped output is
    checked in turn, the index and an export (no stamp) by what their writers write."""
    if not isinstance(stamp.get("files"), list):
        return set()
    listed = set(stamp["files"])
    opened = [entry for entry in stamp.get("open", []) if isinstance(entry, str)] + sorted(own)
    foreign = set()
    for name in _tree(folder):
        inside = next((entry for entry in opened
                       if name == entry or name.startswith(entry + "/")), None)
        if inside is None and name not in listed:
            foreign.add(name)
    for entry in opened:
        nested = folder / entry
        if nested.is_dir() and read_stamp(nested) is not None:
            check_replaceable(nested)  # a carried student: its own stamp says what it holds
        elif entry == INDEX_FOLDER and nested.is_dir():
            foreign |= {f"{entry}/{name}" for name in _index_foreign(nested)}
        elif Path(entry).name == EXPORT_FOLDER and nested.is_dir():
            # an export holds its graphs and record alone (export/onnx.py refuses the rest too)
            foreign |= {f"{entry}/{name}" for name in _tree(nested) if name not in EXPORT_FILES}
    return foreign


def _index_foreign(folder: Path) -> list[str]:
    """Files in a run's index folder that `shoprel index` did not write: it has no stamp (it
    grows with every build), so its layout says what is shoprel's; all of it, when its marker
    is not shoprel's."""
    found = _tree(folder)
    if not is_index_folder(folder):
        return found
    return [name for name in found if not _INDEX_FILE.fullmatch(name)]


def stamp_entries(folder: Path, written_for: PathLike | None = None) -> None:
    """Record the folder's top-level entries and every file below them (see
    check_replaceable); called once it is full. `written_for`: the folder whose writer lists
    this output once it is in place (a carried student's teacher run, the demo's folder),
    kept so that a stop before that leaves it recognisable as that writer's (is_written_for)."""
    entries = sorted(p.name for p in folder.iterdir() if p.name != STAMP)
    stamp = {"written_by": "shoprel", "entries": entries, "files": sorted(_tree(folder))}
    if written_for is not None:
        stamp["written_for"] = str(resolved(written_for))
    (folder / STAMP).write_text(json.dumps(stamp), encoding="utf-8")


def is_written_for(folder: PathLike, holder: PathLike) -> bool:
    """Whether `folder` is a finished output written to be listed by `holder`'s writer
    (stamp_entries' `written_for`): a folder the user put there carries no such stamp."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return False
    stamp = read_stamp(folder)
    return stamp is not None and stamp.get("written_for") == str(resolved(holder))
