"""`shoprel index`: embed a category taxonomy or a catalogue of titles ahead of scoring.

A pair whose target is indexed needs only its query embedded, so scoring against a known
catalogue costs one query embedding per distinct query. The index goes into the run folder
(found there by predict, serve and the Ray engine with no flag) or into a folder of its own
that those commands take with `--index`. Builds stream the input, embed in parts that survive a
kill, and add to an existing index only the texts it lacks.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shoprel.data.compression import input_lines
from shoprel.data.formats import FORMATS, file_format, format_suffix
from shoprel.data.records import (
    HEADER_NAMES,
    LONE_CR,
    has_lone_cr,
    iter_records,
    iter_text_lines,
    require_file,
)
from shoprel.data.tasks import (
    SEPARATORS,
    TARGET_COLUMN,
    TRANSLATION_COLUMN,
    Task,
    TaskGivenBy,
    run_task,
)
from shoprel.data.validate import RecordValidator, text_problem
from shoprel.errors import InputError, Interrupted, OutputError
from shoprel.models.backbones.target_index import (
    KEYS,
    Added,
    clear_unfinished,
    indexed_fingerprints,
    said_kept,
)
from shoprel.run.folder import Run
from shoprel.run.layout import shown
from shoprel.utils.atomic import add_to_stamp, atomic_file, output_lock
from shoprel.utils.outputs import (
    check_folder_target,
    check_not_a_link,
    check_not_current,
    check_outside_outputs,
    check_parent,
)
from shoprel.utils.progress import honours_progress, progress_bar
from shoprel.utils.shoprel_folders import INDEX_MARKER, INDEX_WRITER, is_index_folder

INDEX_FOLDER = "index"  # inside a run folder
MARKER = INDEX_MARKER  # what makes a folder an index, holding `written_by: shoprel index`


@dataclass
class IndexResult:
    folder: Path
    targets: int  # target rows read
    # texts new to the index (targets and, for QC, their levels' names), over all backbones
    added: int
    indexed_models: int
    seconds: float
    # the texts include the names of the category paths' levels (embed, QC: level similarity
    # embeds them too), so `added` may exceed `targets`
    level_names: bool = False
    # of `added`, the texts a stopped build had embedded, taken over now without embedding
    resumed: int = 0
    # distinct texts among the `targets` rows (a pairs file repeats a target on each pair)
    distinct: int = 0
    # each backbone's texts added, by its sub-folder of the index: a run of several backbones,
    # or carrying a student of another, was said in the first backbone's counts alone
    backbones: dict[str, Added] = field(default_factory=dict)


def iter_targets(path: str | Path, task: Task,
                 given_by: TaskGivenBy | None = None) -> Iterator[str]:
    """Targets from a pairs file of any format shoprel reads, JSON lines with the task's target
    field, or plain text with one target per line. `given_by`: who gave `task` (the run the
    file is indexed for), said where the first row is of the other task."""
    path = Path(path)
    require_file(path)
    fmt = file_format(path)  # targets.jsonl.gz read as the file inside
    if (fmt == "jsonl" and not _json_lines(path)) or (fmt in ("csv", "tsv")
                                                     and _headerless_list(path, fmt)):
        yield from _text_targets(path, RecordValidator(path, task, read_labels=False,
                                                       given_by=given_by))
        return
    validator = RecordValidator(path, task, read_labels=False, given_by=given_by)
    for line_no, record in iter_records(path):
        value = validator.target(line_no, record)
        if value.strip():
            yield value


def _text_targets(path: Path, validator: RecordValidator) -> Iterator[str]:
    """One target a line, held to the text rules predict applies to a target field. A JSON
    object on a later line is refused: the file is JSON lines whose first line is broken (a
    header, a cut row), and its objects would be indexed as titles nothing is scored against.
    A first line naming a target column (`item_title`, as a spreadsheet exports one column) is
    that column's header, read by `validator` as the header of the same list compressed
    (titles.gz) or named .csv: the run's column is skipped, the other task's is refused."""
    first = None  # the first non-blank line, which made the file text
    for line_no, line in iter_text_lines(path):
        text = line.rstrip("\r\n")
        if has_lone_cr(text):
            raise InputError(LONE_CR, path=path, line=line_no)
        if first is None and (name := _target_header(text)) is not None:
            validator.target(line_no, {name: ""})  # refuses another task's or a misspelling
            first = line_no
            continue
        if first is None and (name := _other_column_header(text)) is not None:
            column = validator.task.target_column
            raise InputError(f"names the column {name!r}, not a target: give the {column} "
                             f"column, one a line (to index {name!r} as a target, put the "
                             f"header line {column} above it)", path=path, line=line_no)
        reason = text_problem(text)
        if reason is not None:
            raise InputError(reason, path=path, line=line_no)
        if first is not None and _JSON_OBJECT_START.match(text.strip()) \
                and isinstance(_json_value(text), dict):
            raise InputError(f"holds a JSON object, yet line {first} is not JSON, so the file "
                             "was read as one target a line: make every line JSON (or every "
                             "line a target)", path=path, line=line_no)
        if text.strip():
            first = first or line_no
            yield text


def _target_header(text: str) -> str | None:
    """The column a list's first line names when it is one target column's name alone, in any
    case and quoted or not, as a CSV header names it; else None (a target)."""
    name = _header_name(text)
    return name if name.lower() in TARGET_COLUMN.values() else None


# the columns of a pairs file other than the targets: a list headed by one is another column
# exported by mistake (its queries, ids or labels), not a catalogue
_OTHER_COLUMNS = (HEADER_NAMES | {"task", TRANSLATION_COLUMN}) - set(TARGET_COLUMN.values())


def _other_column_header(text: str) -> str | None:
    """The column a list's first line names when it is a pairs file's other column alone
    (`origin_query`, `id`, `label`), read as _target_header reads a target's; else None. Such
    a list, a spreadsheet's wrong column, was indexed with its header as one more target."""
    name = _header_name(text)
    return name if name.lower() in _OTHER_COLUMNS else None


def _header_name(text: str) -> str:
    """A list's first line as a one-column CSV header names its column: unquoted, unspaced."""
    return text.strip().removeprefix('"').removesuffix('"').strip()


# how a JSON object's line begins: a brace, then a key's quote (or the brace closing it); a
# title such as "{New} phone case" begins with a brace too, and is text. A JSON array (which
# the JSON-lines reader refuses by name) opens a bracket, then an object, an array or nothing
# more on its line; a title such as "[2 pack] bolts" is text.
_JSON_OBJECT_START = re.compile(r'\{\s*(["}]|$)')
_JSON_ARRAY_START = re.compile(r"\[\s*([{\[]|$)")


def _json_lines(path: Path) -> bool:
    """Whether a JSON-lines-named file holds JSON (objects, or an array to refuse) rather than
    plain text, told by its first non-blank line."""
    for _, raw in input_lines(path):
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        if text:
            return bool(_JSON_OBJECT_START.match(text) or _JSON_ARRAY_START.match(text)
                            or isinstance(_json_value(text), list) or _names_columns(text))
    return True


def _names_columns(text: str) -> bool:
    """Whether a first line is a table's header (`id,origin_query,category_path`): a CSV
    saved under a JSON-lines name, which the JSON-lines reader refuses as predict does. Read as
    one target a line, its header and every row were indexed as titles, exit 0. Two of the
    columns shoprel reads must be named, so that a category path with a level called
    'language' stays a target."""
    return any(len({name.strip().strip('"').lower() for name in text.split(separator)}
                   & HEADER_NAMES) >= 2 for separator in SEPARATORS)


def _headerless_list(path: Path, fmt: str) -> bool:
    """Whether a compressed file whose name says no format (titles.gz), taken for CSV by its
    content, is a plain list of targets: its first line names none of a table's columns. Such
    a list of titles with commas was refused as a CSV of uneven rows, where titles.txt.gz read."""
    if format_suffix(path) in FORMATS:  # named a table (.csv, .tsv): read as one
        return False
    delimiter = "\t" if fmt == "tsv" else ","
    for _, raw in input_lines(path):
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        if text:
            return not any(name.strip().strip('"').lower() in HEADER_NAMES
                           for name in text.split(delimiter))
    return False


def _json_value(text: str):
    """The line's JSON value; None when it is no JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def index_models(run: Run) -> list:
    """The run's models that can use an index (ensembles: their members'), loaded and their
    backbones checked, and those of the student it carries, whose `--scorer student` looks
    targets up in the run's index too."""
    if run.kind == "ensemble":
        models = [m for member in run.member_dirs() for m in index_models(Run.open(member))]
    else:
        # a backbone changed since training, refused before anything is made, at the run's
        # config line with the command that mends it (as predict says it)
        with run.config_named():
            models = [m for m in run.load_models() if hasattr(m, "index_targets")]
            for model in models:
                if hasattr(model, "check_backbones"):
                    model.check_backbones()
    student = run.student_dir()
    return models + (index_models(Run.open(student)) if student is not None else [])


def embeds_nothing(run: Run) -> str:
    """Why an index is no use to this run (index refuses to build one, predict and serve to
    take one)."""
    family = run.manifest.get("model_family", run.kind)
    return f"the models of {run.path} embed nothing (family {family}); an index would not help"


def check_index_folder(folder: Path, own: bool = False, named: bool = True) -> None:
    """An index goes only into a new or empty folder, or one shoprel made an index of, and
    (but the run's `own` index) not inside another folder shoprel wrote. `named`: given with
    --out; else the run's own `index/`, which the user never chose and so moves or avoids."""
    fix = ("choose a new or empty folder" if named
           else "it is where the run keeps its index: move it away, or give --out FOLDER")
    if named:
        check_folder_target(folder)
    check_not_a_link(folder)  # a build writes, and a failed one removes, wherever it leads
    if named:
        check_not_current(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file; " + ("--out needs a folder for the index"
                                                      if named else fix))
    check_parent(folder)  # the run's own index too: a run on a read-only disk is said
    if not own:
        check_outside_outputs(folder, then="writing there would change it; build the index "
                                           "in a folder of its own")
    if folder.is_dir() and any(folder.iterdir()) and not is_index_folder(folder):
        raise OutputError(f"{folder}: not an index folder shoprel wrote ({_no_marker(folder)}); "
                          f"{fix}")


def _no_marker(folder: Path) -> str:
    """Why a folder is no index, in a message's words: no marker, or another tool's."""
    if (folder / MARKER).exists():
        return f"its {MARKER} was not written by `{INDEX_WRITER}`"
    return f"no {MARKER}"


@honours_progress
def build_index(run_dir: str | Path, input_file: str | Path, out: str | Path | None = None,
                progress: bool = True) -> IndexResult:
    """Embed the file's targets with every backbone of the run's models into `out` (default:
    the run's own index folder)."""
    started = time.perf_counter()
    run = Run.open(run_dir)
    folder = Path(out) if out is not None else run.path / INDEX_FOLDER
    own = folder.resolve() == (run.path / INDEX_FOLDER).resolve()
    check_index_folder(folder, own, named=out is not None)
    input_file = Path(input_file)
    # read whole before any model loads (the default model's encoder: ~30 s), any folder is
    # made or any text embedded: not a file, a file of the other task, or a bad line past the
    # first part (found only once 4,096 texts had been embedded) is told at once; reading
    # costs seconds a million lines, embedding hours; the count is the bar's total, at no
    # further read
    # a pairs file of the other task is told as the run's ("run runs/a scores QC pairs")
    given_by = run_task(run.task, shown(run.path), "index it")
    total, distinct = target_counts(iter_targets(input_file, run.task, given_by))
    if total == 0:
        raise InputError(f"holds no {run.task.target_column} texts to index", path=input_file)
    models = index_models(run)
    if not models:
        raise OutputError(embeds_nothing(run))
    build_id = _build_id(input_file)
    backbones: dict[str, Added] = {}
    level_names = False
    new_folder = not folder.exists()
    was_empty = new_folder or not any(folder.iterdir())
    # the lock makes the missing parents and, once released, removes those left empty
    with _kept_when_stopped(folder), output_lock(folder), \
            _undone_unless_embedded(folder, was_empty, new_folder):
        folder.mkdir(exist_ok=True)
        if not is_index_folder(folder):
            with atomic_file(folder / MARKER, durable=True) as tmp:
                tmp.write_text(json.dumps({"written_by": INDEX_WRITER, "format": 1}))
        if own:
            add_to_stamp(run.path, INDEX_FOLDER)
        seen_backbones: set[tuple] = set()
        for model in models:
            key = model.index_identity()
            if key in seen_backbones:
                continue  # fold models share backbones: index once
            seen_backbones.add(key)
            # targets read, of the file's total, at each part of new texts (up to 4,096;
            # the encoder's bar counts each part's texts as they are embedded)
            with progress_bar(total=total, desc="indexing", unit=" targets",
                              disable=not progress) as bar:
                rows = _counting(iter_targets(input_file, run.task, given_by))
                items = _counting(item for t in rows for item in model.index_texts([t]))
                read_so_far = _reading(bar, rows)
                for name, added in model.index_targets(folder, items, build_id,
                                                       on_part=read_so_far).items():
                    backbones[name] = backbones.get(name, Added()) + added
                read_so_far()  # parts indexed already call no on_part
            level_names = level_names or items.count > rows.count  # more texts than targets
    added = sum(backbones.values(), Added())
    return IndexResult(folder, total, added.total, len(seen_backbones),
                       time.perf_counter() - started, level_names, added.resumed, distinct,
                       backbones)


def target_counts(texts) -> tuple[int, int]:
    """Rows and distinct texts among them ("targets read" counted a pairs file's rows, each
    target once per pair); told apart by their hashes, 8 bytes a row, not by the texts, of
    which a catalogue may hold millions."""
    hashed = np.fromiter((hash(text) for text in texts), dtype=np.int64)
    return len(hashed), len(np.unique(hashed))


def _build_id(input_file: Path) -> str:
    """What a killed build's parts are resumed under: the file as it is now (its path, size and
    time), so a rewritten file starts anew and merges the killed build's parts instead."""
    stat = input_file.stat()
    return f"{input_file.resolve()}\x00{stat.st_size}\x00{stat.st_mtime_ns}"


@contextlib.contextmanager
def _undone_unless_embedded(folder: Path, was_empty: bool, new_folder: bool):
    """A build that fails or is stopped before any part of embeddings is finished leaves the
    folder as it found it (made empty, or none, nor the parents it made for it): an empty
    index would pass for a real one.
    Finished parts stay, for the next build to resume from."""
    try:
        yield
    except BaseException:
        if was_empty and not _holds_embeddings(folder):
            _remove_what_it_wrote(folder, new_folder)
        raise


def _remove_what_it_wrote(folder: Path, new_folder: bool) -> None:
    """Remove the marker and what the build wrote in each backbone's folder (clear_unfinished),
    then the folder when the build made it: a file a user put in it meanwhile stays, with the
    folders it is in, and is said in one line (the folder was removed whole, the file with
    it). A folder gone meanwhile (removed by hand) leaves nothing to do: the build's own
    error is the one said."""
    kept = []
    try:
        children = sorted(folder.iterdir())
    except FileNotFoundError:
        return
    for child in children:
        if child.name == MARKER and child.is_file() and not child.is_symlink():
            child.unlink()
        elif child.is_dir() and not child.is_symlink():
            kept.extend(f"{child.name}/{name}" for name in clear_unfinished(child))
        else:
            kept.append(child.name)
    if kept:
        said_kept(folder, kept)
    elif new_folder:
        folder.rmdir()


def _holds_embeddings(folder: Path) -> bool:
    """Whether a finished part or segment of embeddings is in the folder (its keys file is
    written last)."""
    return folder.is_dir() and any(folder.rglob(f"*{KEYS}"))


@contextlib.contextmanager
def _kept_when_stopped(folder: Path):
    """A stopped build says what it kept: the embeddings finished so far stay for a rerun to go
    on from, which "what was not finished was removed" would leave the user to guess."""
    try:
        yield
    except KeyboardInterrupt:
        if not _holds_embeddings(folder):
            raise
        raise Interrupted(f"interrupted: the embeddings finished so far are kept in {folder}; "
                          "run the same command again to go on from them") from None


def _reading(bar, rows: _counting):
    """An `on_part` that moves the bar to the targets read so far (what a part passes it is
    its count of new texts)."""
    return lambda _texts=0: bar.update(rows.count - bar.n)


class _counting:
    """An iterator that counts what passed through it."""

    def __init__(self, items):
        self.items, self.count = iter(items), 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.items)
        self.count += 1
        return item


def index_names_in(folder: Path) -> list[str]:
    """The backbones an index folder holds embeddings of, as its sub-folders name them."""
    return list(indexed_fingerprints(folder))


def index_folders(run_dir: str | Path, extra: list[str | Path] | None = None) -> list[Path]:
    """Where scoring looks targets up: the run's own index, then those given."""
    folders = [Path(run_dir) / INDEX_FOLDER, *(Path(f) for f in extra or [])]
    for folder in folders[1:]:
        if folder.exists() and not folder.is_dir():
            raise InputError("is a file, not an index folder (--index takes the folder "
                             "`shoprel index RUN FILE --out FOLDER` wrote)", path=folder)
        if not folder.exists():
            raise InputError("index folder not found (--index)", path=folder)
        if is_index_folder(folder):
            continue
        if is_index_folder(folder / INDEX_FOLDER):  # a run folder holding its own index
            raise InputError(f"not an index folder but holds one: give --index "
                             f"{folder / INDEX_FOLDER}", path=folder)
        if any(folder.iterdir()):
            raise InputError(f"not an index folder ({_no_marker(folder)}); --index takes the "
                             "folder `shoprel index RUN FILE --out FOLDER` wrote", path=folder)
        raise InputError(f"an empty folder, not an index (no {MARKER}); build one with "
                         f"`shoprel index RUN FILE --out {folder}`", path=folder)
    return folders
