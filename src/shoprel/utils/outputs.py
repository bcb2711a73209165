"""Where a command may write, decided before any work starts.

Every command that writes calls one of the two checks here with what it reads, so that no
output can destroy an input file, a run being read (or a file it, one of its members or its
carried student learnt from), a folder shoprel did not write, or (with --overwrite) a file
that is not the command's own earlier output. The checks look at paths (and the runs' records
of those files) only, but for that last one, which the command's guard tells by the file's
content (check_own_output); `atomic.py` does the writing (and repeats the folder check, and a
file's guard, under its lock, so that what changed during a long run is still not replaced
blindly).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from shoprel.data.file_kind import HEAD_BYTES, PARQUET_DATA, first_bytes_kind
from shoprel.data.formats import FORMATS, format_suffix
from shoprel.errors import InputError, OutputError, OutputExistsError, one_line_reason
from shoprel.run_data import recorded_field
from shoprel.stage0_record import recorded_stage0_files
from shoprel.utils.lock_files import foreign_lock_words

# atomic_dir writes this into every folder it produces: which top-level entries it wrote, so
# that --overwrite can tell shoprel's files from what a user put there later
STAMP = ".shoprel-output.json"
RUN_MARKER = "run.json"  # runs.MANIFEST; a finished run or ensemble
RUN_METRICS = "metrics.json"  # runs.METRICS: records the file the run was trained on
TRAIN_FILE, STAGE0_FILE = "data.train_file", "stage0.train_file"  # its fields naming them
UNLABELED_FILES = "distillation.unlabeled.files"  # a student's teacher-scored pair files
NOISE_FLAGGED = "noise.flagged_file"  # the flagged ids a run dropped or down-weighted
STUDENT_FOLDER = "student"  # runs.STUDENT: a run's carried student, a run folder of its own
INDEX_MARKER = "index.json"  # predict/index.py's MARKER: a target index folder
INDEX_FOLDER = "index"  # predict/index.py's INDEX_FOLDER: a run's own index, added after its stamp
# models/backbones/cache.py's META_FILE: the record of a backbone built in the cache (which
# carries no stamp) or pretrained; `cache prune` and a rebuild replace such a folder whole
BACKBONE_MARKER = "shoprel-backbone.json"
# models/backbones/onnx_engine.py's META_FILE: the record of an ONNX export in the cache
# (`<cache>/onnx/<name>/fp32`, no stamp), which `cache prune --kind onnx` removes whole; a
# generic name, so the exporter's fields (_write_meta: format, opset, precision) tell it
ONNX_EXPORT_MARKER = "export.json"
# what `shoprel index` writes below an index folder (predict/index.py, target_index.py): its
# marker, and per backbone meta.json, merged segments (a killed merge's .tmp) and the parts
# of a killed build; a test builds a real index and checks it against these
_INDEX_FILE = re.compile(r"index\.json|[^/]+/(meta\.json|seg-[0-9a-f]{16}\.(keys|vectors)\.npy"
                         r"(\.tmp)?|build-[0-9a-f]{16}/(build\.json|"
                         r"part-\d{6}\.(keys|vectors)\.npy))")
INDEX_WRITER = "shoprel index"  # its written_by: a file of that name from elsewhere is no index
# what runs written before the stamp existed hold at their top level
LEGACY_RUN_ENTRIES = frozenset({"run.json", "config.yaml", "folds.parquet", "oof.parquet",
                                "metrics.json", "report.html", "models", "learning_curve.json"})
# `shoprel export` writes these graphs and its record into a model's onnx/ (after the run's
# stamp, which then lists the folder as open); models/hf/onnx.py (the exporter's and the
# scorer's names) takes them from here, which sits below it
EXPORT_FOLDER = "onnx"
EXPORT_FP32, EXPORT_INT8, EXPORT_RECORD = "model.onnx", "model.int8.onnx", "export.json"
EXPORT_FILES = frozenset({EXPORT_FP32, EXPORT_INT8, EXPORT_RECORD})  # all such a folder holds
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
# shoprel's own temporary names (atomic.py): `.NAME.PID@HOST.RANDOM.partial` (`.old`: an
# output being replaced, kept until the swap is done) and a writer's `.NAME.lock`
TEMP_FILE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)@(?P<host>[0-9a-f]{6})\.[^.]+"
                       r"\.(partial|old)$")
LOCK_FILE = re.compile(r"^\..+\.lock$")
# what output_lock writes into its lock file, its writer's pid and HOST: another program's
# `.NAME.lock` (a bare pid, anything else) is not shoprel's to pass over or remove
LOCK_HOLDER = re.compile(r"shoprel (?P<pid>\d{1,20})@(?P<host>[0-9a-f]{6})")

PathLike = str | os.PathLike
# what reading a file that is no data file of the kind raises (a reader's one line, a binary
# file's bytes, a JSON or Parquet library's complaint)
UNREADABLE = (InputError, OSError, ValueError, UnicodeError)
# what an output file's command calls with `--overwrite` on the file there: it refuses (an
# OutputError) a file that is not the command's own earlier output (check_own_output)
Guard = Callable[[Path], None]


def is_temporary(path: Path) -> bool:
    """A temporary file or folder of a shoprel writer, live or killed (TEMP_FILE), or a lock
    file output_lock left (it holds LOCK_HOLDER from the moment it exists): never user data, so
    --overwrite passes over it. A name only shaped like one (`.notes.old`, a `.db.lock` of the
    user's or another program's, even one holding a bare pid or nothing) is the user's."""
    if TEMP_FILE.match(path.name):
        return True
    if not LOCK_FILE.match(path.name) or path.is_symlink() or not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            held = handle.read(64)
    except OSError:
        return False
    return lock_holder(held) is not None


def lock_holder(held: bytes) -> tuple[int, str] | None:
    """(pid, host) of the writer a lock file's bytes name, as output_lock writes them; None
    for anything else (another program's lock, a bare pid of shoprel before LOCK_HOLDER)."""
    match = LOCK_HOLDER.fullmatch(held.decode("ascii", errors="replace"))
    return (int(match["pid"]), match["host"]) if match else None


def _resolved(path: PathLike) -> Path:
    return Path(path).expanduser().resolve()


def at_or_below(path: Path, folder: Path) -> bool:
    """Whether the resolved `path` is `folder` or lies inside it: the one containment test of
    every check that keeps what a command writes apart from what it reads."""
    return path == folder or folder in path.parents


def _overlap(a: Path, b: Path) -> bool:
    """Whether one of two resolved paths is the other or lies inside it."""
    return at_or_below(a, b) or at_or_below(b, a)


def same_file(a: PathLike, b: PathLike) -> bool:
    """The same file by inode (hard links, symlinks), or the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return _resolved(a) == _resolved(b)


def check_not_a_link(out: PathLike, kind: str = "folder") -> None:
    """Refuse an output named by a symbolic link: --overwrite would replace the link, which
    the command did not write, and a build would write wherever it leads."""
    out = Path(out)
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link (to {os.readlink(out)}); give the real "
                          f"{kind} or another path")


def check_not_special(out: PathLike) -> None:
    """Refuse a file output that exists as something other than a file: a device (`--out
    /dev/null`), a named pipe or a socket is no output to replace, and replaced by root it
    would leave the system without its /dev/null."""
    out = Path(out)
    if out.exists() and not out.is_file() and not out.is_dir():
        raise OutputError(f"{out}: is not a regular file (a device, pipe or socket); the output "
                          "must be a file name")


def check_file_target(out: PathLike) -> None:
    """A file output's own path may be written: it is no folder, device, pipe or socket, nor
    `-`, which reads as stdout to a user (inputs take it as stdin) and was written as a file of
    that name. Also asked before the first of several files is written (a run's metrics.json,
    then its report), so that a refused second one leaves the first as it was."""
    if Path(out) == Path("-"):
        raise OutputError("-: outputs are written to files, not to stdout; give a file name "
                          "(`-` is stdin only for an input)")
    if Path(out).is_dir():
        raise OutputError(f"{out}: is a folder; the output must be a file name")
    check_not_special(out)


def check_folder_target(out: PathLike) -> None:
    """A folder output is not `-`: it reads as stdout to a user, as a file output's does
    (check_file_target), and was made as a folder of that name in the current folder."""
    if Path(out) == Path("-"):
        raise OutputError("-: this output is a folder, not stdout; give a folder name (`-` is "
                          "stdin only for an input)")


def check_parent(out: PathLike) -> None:
    """The output's nearest existing ancestor must be a folder this process can write in."""
    out = Path(out)
    ancestor = out.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{out}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot write in {ancestor} (permission denied)")


def check_output_file(out: PathLike, reads: Iterable[PathLike] = (),
                      runs: Iterable[PathLike] = (), own: Iterable[PathLike] = (),
                      overwrite: bool = False, guard: Guard | None = None) -> Path:
    """Refuse a file output that is a folder or a device, pipe or socket, is one of the input
    files `reads` or the file one of the runs `runs` was trained on (also through links, and
    with `overwrite`: the user's data), lies inside one of those run folders, unless it is
    one of the run files the command rewrites as its own (`own`, e.g. RUN/report.html for
    `report`), or exists without `overwrite` (a file of the user's that only looks like an
    output), or with it is not the command's own earlier output, as its `guard` tells
    (check_own_output)."""
    out, runs = Path(out), list(runs)  # `runs` is read twice below
    check_file_target(out)
    for source in reads:
        if Path(source).exists() and same_file(out, Path(source)):
            raise OutputError(f"{out}: is the input file {source}; writing it would destroy "
                              "the input, choose another output")
    for run in runs:
        for holder, field, trained_on in training_files(run):
            if Path(trained_on).exists() and same_file(out, Path(trained_on)):
                if field == NOISE_FLAGGED:  # no data of the user's, but what the run learnt
                    raise OutputError(f"{out}: is {trained_on}, the flagged ids the run {holder} "
                                      f"was trained with (its metrics.json {field}); writing it "
                                      "would change what that run learnt from, choose another "
                                      "output")
                who = f"the run {holder}"
                who = f"the stage 0 of {who}" if field == STAGE0_FILE else who
                raise OutputError(f"{out}: is {trained_on}, the file {who} was trained on (its "
                                  f"metrics.json {field}); writing it would destroy that data, "
                                  "choose another output")
    mine = {_resolved(path) for path in own}
    if overwrite and holds_data(out) and _resolved(out) not in mine:
        for run in runs:
            for record, why in unreadable_records(run):
                raise OutputError(f"{out}: --overwrite cannot tell whether it is a file the run "
                                  f"{record.parent} learnt from: {record} cannot be read "
                                  f"({why}); restore it, or choose another output")
    for run in runs:
        if _resolved(out) not in mine and _overlap(_resolved(out), _resolved(run)):
            raise OutputError(f"{out}: lies inside the run folder {run} being read; write it "
                              "outside the run")
    if _resolved(out) not in mine:
        check_outside_outputs(out, then="writing there would change it, write the file "
                                        "outside it")
    if overwrite:  # without it, "already exists" says enough
        check_not_a_link(out, "file")
    if (out.exists() or out.is_symlink()) and not overwrite and _resolved(out) not in mine:
        raise OutputExistsError.at(out)
    if overwrite and guard is not None and _resolved(out) not in mine:
        guard(out)
    check_parent(out)
    return out


def holds_data(path: PathLike) -> bool:
    """An existing, non-empty file: an empty one holds nothing to lose; what is no file at all
    check_file_target refuses."""
    path = Path(path)
    return path.is_file() and path.stat().st_size > 0


def check_own_output(out: PathLike, not_own: Callable[[Path], str | None], what: str,
                     command: str) -> None:
    """`--overwrite` replaces an existing non-empty file only when it is `command`'s own
    output, `what` (a predictions file, an HTML page shoprel wrote): outputs take the names of
    data files, and a gold labels file given as the output by mistake was destroyed.
    `not_own(out)` says why the file is not one, or None; a file it cannot read is not one,
    and is said to be what it is (unreadable_said). Refused in one line naming the file, why,
    and what to do."""
    out = Path(out)
    if not holds_data(out):
        return
    try:
        why = not_own(out)
    except UNREADABLE as exc:
        why = f"it does not read as one: {unreadable_said(out, exc)}"
    if why is not None:
        raise OutputError(f"{out}: exists and is not {what} ({why}); --overwrite replaces "
                          f"only {command}'s own output: choose another name or move the file "
                          "away first")


def unreadable_said(path: Path, exc: BaseException) -> str:
    """What a file that `exc` stopped a reader of is, in a few words for a refusal: what its
    first bytes show (compressed data, an archive, binary data: data/file_kind.py) where they
    show it, else where and why the reader stopped ('line 3: malformed JSON ...')."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as error:
        return f"it cannot be read ({error.strerror or one_line_reason(error)})"
    kind = first_bytes_kind(head)
    if kind == PARQUET_DATA and FORMATS.get(format_suffix(path)) == "parquet":
        kind = None  # a Parquet file that does not read: the reader says why
    if kind is not None:
        return f"it is {kind}"
    if isinstance(exc, InputError):
        return f"{exc.line_label} {exc.line}: {exc.reason}" if exc.line else exc.reason
    return one_line_reason(exc)


def training_files(run: PathLike) -> list[tuple[str, str, str]]:
    """(run, metrics.json field, file) of each file a run learnt from, by the record of the run
    that names it (`run`: its folder as a message names it): data.train_file (an ensemble's,
    each member's), the stage-0 file a first model was fitted on (stage0.train_file, another
    task's labelled rows: the user's data as much) and the pair files a student's teacher
    scored for it (distill --unlabeled: distillation.unlabeled.files), the flagged ids it
    dropped or down-weighted (noise.flagged: noise.flagged_file); those of an ensemble's
    members and of a carried student (RUN/student) too, whose records (a member's stage 0, a
    student's unlabelled pairs) the run's metrics.json does not repeat. None where a run
    records none or cannot be read (`run`'s own: the command reading it says so; a member's
    or student's: unreadable_records)."""
    return [(os.path.normpath(folder), field, file) for folder in _runs_behind(Path(run), set())
            for field, file in _recorded_files(folder)]


def unreadable_records(run: PathLike) -> list[tuple[Path, str]]:
    """(metrics.json, why) of each run behind `run` (an ensemble's member, a carried student)
    whose record cannot be read, so that the files it learnt from cannot be told: commands
    reading an ensemble need not read its members' (noise, report), and a member's stage 0 or
    unlabelled pairs are recorded there alone. `run`'s own is left to the command reading it."""
    behind = list(_runs_behind(Path(run), set()))[1:]
    said = [(Path(os.path.normpath(folder / RUN_METRICS)), _unreadable_why(folder / RUN_METRICS))
            for folder in behind]
    return [(path, why) for path, why in said if why is not None]


def _runs_behind(run: Path, seen: set[Path]) -> Iterator[Path]:
    """`run`, then each run behind it: an ensemble's members as its run.json lists them
    (recursively; a missing one too) and a carried student where there is one, each once."""
    if _resolved(run) in seen:  # a run listed twice, or leading back
        return
    seen.add(_resolved(run))
    yield run
    if not run.is_dir():
        return
    for member in _member_folders(run):
        yield from _runs_behind(member, seen)
    if (run / STUDENT_FOLDER).is_dir():
        yield from _runs_behind(run / STUDENT_FOLDER, seen)


def _unreadable_why(path: Path) -> str | None:
    """Why the JSON object file `path` cannot be read, in a few words; None where it can."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return exc.strerror or one_line_reason(exc)
    except ValueError:
        return "not valid JSON"
    return None if isinstance(record, dict) else "no JSON object"


def _recorded_files(run: Path) -> list[tuple[str, str]]:
    """(field, file) of each file the run's own metrics.json records it learnt from."""
    metrics = _json_object(run / RUN_METRICS)
    files = [(TRAIN_FILE, file) for _, file in recorded_field(metrics, "train_file")]
    files += [(STAGE0_FILE, recorded.file)  # one, or each of several (stage0_record.py)
              for recorded in recorded_stage0_files(metrics.get("stage0"))]
    distillation = metrics.get("distillation")
    unlabeled = distillation.get("unlabeled") if isinstance(distillation, dict) else None
    named = unlabeled.get("files") if isinstance(unlabeled, dict) else None
    if isinstance(named, list):
        files += [(UNLABELED_FILES, file) for file in named]
    noise = metrics.get("noise")
    if isinstance(noise, dict):
        files.append((NOISE_FLAGGED, noise.get("flagged_file")))
    return [(field, file) for field, file in files if isinstance(file, str) and file]


def _member_folders(run: Path) -> list[Path]:
    """An ensemble's member folders as its run.json lists them (runs.Run.member_dirs; none
    where it lists none or cannot be read)."""
    members = _json_object(run / RUN_MARKER).get("members")
    members = members if isinstance(members, list) else []
    return [run / member["path"] for member in members
            if isinstance(member, dict) and isinstance(member.get("path"), str)]


def _json_object(path: Path) -> dict:
    """A JSON file's object; {} where it is missing, unreadable or holds no object."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _holds_marker(folder: Path, marker: str) -> bool:
    """The folder's `marker` is shoprel's by its content, not its name alone: a user's
    experiment folder may hold a run.json of its own, which --overwrite must not take for an
    older run's. A run's manifest names its task and threshold; other markers (a backbone's
    record) are JSON objects."""
    try:
        record = json.loads((folder / marker).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict):
        return False
    if marker != RUN_MARKER:
        return True
    threshold = record.get("threshold")
    return (record.get("task") in ("QC", "QI") and isinstance(threshold, int | float)
            and not isinstance(threshold, bool))


def is_shoprel_output(folder: Path) -> bool:
    """A folder shoprel wrote: stamped, a run (older runs carry no stamp), a backbone built in
    the cache (its record, no stamp), an ONNX export (likewise), or an index. Only refusals ask
    (nothing is written inside one), so a run.json is judged by its name here."""
    if (folder / STAMP).is_file() or (folder / RUN_MARKER).is_file():
        return True
    if (folder / BACKBONE_MARKER).is_file() and _holds_marker(folder, BACKBONE_MARKER):
        return True
    if is_onnx_export(folder):
        return True
    return str(_index_record(folder).get("written_by", "")).startswith("shoprel")


def is_onnx_export(folder: PathLike) -> bool:
    """An ONNX export the cache made, told by its record's content: the exporter writes the
    export's format and opset (numbers) and its precision ('fp32', 'int8-r7'); a user's own
    `export.json` (another tool's settings, a list) makes no export of its folder."""
    record = _json_object(Path(folder) / ONNX_EXPORT_MARKER)
    return (all(isinstance(record.get(field), int) and not isinstance(record.get(field), bool)
                for field in ("format", "opset"))
            and isinstance(record.get("precision"), str))


def is_index_folder(folder: PathLike) -> bool:
    """A target index `shoprel index` wrote, told by its marker's content: a website's or
    another tool's `index.json` makes no index of its folder."""
    return _index_record(Path(folder)).get("written_by") == INDEX_WRITER


def _index_record(folder: Path) -> dict:
    return _json_object(folder / INDEX_MARKER)


def shoprel_output_holding(path: PathLike) -> Path | None:
    """The nearest folder above `path` that shoprel wrote, or None."""
    for folder in _resolved(path).parents:
        if folder.is_dir() and is_shoprel_output(folder):
            return folder
    return None


def check_outside_outputs(out: PathLike, then: str, allowed: PathLike | None = None) -> None:
    """Refuse an output inside a folder shoprel wrote (but `allowed`); `then`: what to do."""
    holder = shoprel_output_holding(out)
    if holder is not None and (allowed is None or holder != _resolved(allowed)):
        raise OutputError(f"{out}: lies inside {holder}, a folder shoprel wrote (a run, an "
                          f"index or a backbone); {then}")


def check_html_name(out: PathLike) -> None:
    """A page (report, comparison) goes only to a .html/.htm name: written to a name like
    train_QC.txt with --overwrite it would replace a data file with HTML."""
    if Path(out).suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"{out}: an HTML page is written there; give a name ending in .html")


def check_not_current(out: PathLike) -> None:
    """Refuse a folder output that is or holds the current folder (`--out .`, or `--out ""`
    from an unset shell variable)."""
    if at_or_below(Path.cwd().resolve(), _resolved(out)):
        raise OutputError(f"{out}: is the current folder or holds it; the output must be a "
                          "new folder")


def check_not_reading(out: PathLike, reads: Iterable[PathLike]) -> None:
    """Refuse an output that is, holds or lies inside a folder the command reads (writing it
    would change what is being read)."""
    target = _resolved(out)
    for source in reads:
        if _overlap(target, _resolved(source)):
            raise OutputError(f"{out}: overlaps {source}, which this command reads; the "
                              "output must be a separate folder")


# what an unstamped folder of the kind may hold at its top level: names, or a pattern of them;
# None: anything beside its marker
LegacyEntries = frozenset[str] | re.Pattern[str] | None
# and below its top level: a pattern of paths relative to the folder; None: not checked (a
# kind whose unstamped outputs held only files, which the names above tell)
LegacyFiles = re.Pattern[str] | None


def check_output_dir(out: PathLike, overwrite: bool = False, reads: Iterable[PathLike] = (),
                     legacy_entries: LegacyEntries = LEGACY_RUN_ENTRIES,
                     marker: str = RUN_MARKER, inside: PathLike | None = None,
                     guard: Callable[[Path], None] | None = None,
                     legacy_files: LegacyFiles = LEGACY_RUN_FILES) -> Path:
    """Refuse a folder output that is `-`, is a symbolic link, is or holds the current folder
    or anything read, lies inside a folder shoprel wrote (but `inside`, the run a carried
    student goes into), is a file, exists without `overwrite`, or (with it) is not a folder
    shoprel wrote — decided by `guard` where the command has its own (the one it gives
    atomic_dir), else by check_replaceable."""
    out = Path(out)
    check_folder_target(out)
    check_not_a_link(out)
    check_not_current(out)
    check_not_reading(out, reads)
    check_outside_outputs(out, allowed=inside,
                          then="writing there would change it, choose a folder outside it")
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out}: is a file, not a folder; choose a new folder name")
        if not overwrite:
            raise OutputExistsError.at(out)
        if guard is not None:
            guard(out)
        else:
            check_replaceable(out, legacy_entries, marker, legacy_files)
    check_parent(out)
    return out


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
    elif _holds_marker(folder, marker):
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
        stamp["written_for"] = str(_resolved(written_for))
    (folder / STAMP).write_text(json.dumps(stamp), encoding="utf-8")


def is_written_for(folder: PathLike, holder: PathLike) -> bool:
    """Whether `folder` is a finished output written to be listed by `holder`'s writer
    (stamp_entries' `written_for`): a folder the user put there carries no such stamp."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return False
    stamp = read_stamp(folder)
    return stamp is not None and stamp.get("written_for") == str(_resolved(holder))
