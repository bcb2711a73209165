"""The two competition tasks and the columns that tell them apart."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from shoprel.data.column_hints import column_advice, listed, near_name
from shoprel.errors import InputError


class Task(StrEnum):
    QC = "QC"  # query vs category path
    QI = "QI"  # query vs item title

    @property
    def target_column(self) -> str:
        return TARGET_COLUMN[self]

    @property
    def other(self) -> Task:
        return Task.QI if self is Task.QC else Task.QC

    @classmethod
    def parse(cls, value: str | Task) -> Task:
        if isinstance(value, Task):
            return value
        try:
            return cls(str(value).upper())
        except ValueError:
            raise InputError(f"unknown task {value!r}: expected QC or QI") from None


TARGET_COLUMN = {Task.QC: "category_path", Task.QI: "item_title"}
QUERY_COLUMN = "origin_query"
TRANSLATION_COLUMN = "translated_query"  # a file's translation of the query (optional)
# every column a reader takes under its own name: none is a misspelling of another
KNOWN_COLUMNS = ("id", QUERY_COLUMN, *TARGET_COLUMN.values(), "language", "label", "task",
                 TRANSLATION_COLUMN)
# a file's column -> the server request's field for it (the request says `query`)
REQUEST_FIELDS = {QUERY_COLUMN: "query"}
# what other query-product files call shoprel's columns (Home Depot's own release:
# search_term, product_title): a file with one of them is told the name to give it; the query's
# bare names ('q', as in a URL's ?q=) were told only the file's columns
OTHER_NAMES = {QUERY_COLUMN: ("search_term", "search_query", "keyword", "q", "search", "term"),
               "item_title": ("product_title", "title", "product_name", "item_name"),
               "category_path": ("category", "category_name"),
               # a submission made by hand, as many competitions name its answer column
               "prediction": ("label", "pred", "predicted", "predicted_label")}


def other_name_hint(columns, name: str, holder: str = "the file has") -> str:
    """'; HOLDER 'product_title': name the column 'item_title'' when a column goes by
    another dataset's name for `name`, else ''. A `query,title` CSV was told only that
    item_title was missing, then origin_query, a round trip each. `holder`: "the pairs have"
    for pairs from Python, which hold no file."""
    found = next((other for other in OTHER_NAMES.get(name, ()) if other in columns), None)
    return f"; {holder} {found!r}: name the column {name!r}" if found else ""


def other_task_column(record, task: Task) -> str | None:
    """The other task's target column when a record holds it instead of `task`'s (a row of
    another task's file: predictions checked against the wrong input), else None."""
    other = task.other.target_column
    return other if other in record and task.target_column not in record else None


def other_task_row(record, task: Task, in_memory: bool = False) -> str | None:
    """Why a record read as `task` is a row of the other task, or None: it lacks `task`'s
    target column but holds the other's (JSON lines of both tasks' rows), or its own target
    is empty where the other's holds a text (a table with both columns, a QI row's
    category_path cell left empty). Such a row was read as an empty target, trained on and
    scored with no more than a note on empty texts; its message says to split the tasks."""
    other = task.other
    if other.target_column not in record:
        return None
    if task.target_column not in record:
        why = f"missing required column, where the row has {other.target_column}"
    elif _holds_text(record[task.target_column]) or not _holds_text(
            record[other.target_column]):
        return None
    else:
        shown = str(record[other.target_column]).strip()
        shown = shown if len(shown) <= 40 else f"{shown[:40]}..."
        why = f"empty, while the row's {other.target_column} holds {shown!r}"
    if in_memory:
        return f"{why}: a {other.value} pair among pairs read as {task.value}; {one_task(True)}"
    return f"{why}: a {other.value} row in a file read as {task.value}; {one_task()}"


def own_task(record) -> Task | None:
    """The task a record's own `task` field names (QC or QI, in any case), or None."""
    value = record.get("task")
    if not isinstance(value, str) or value.upper() not in Task.__members__:
        return None
    return Task(value.upper())


def unsaid_target(record, task: Task, in_memory: bool = False) -> str | None:
    """Why a record holding texts in both category_path and item_title is refused when no
    task was given and its own `task` field is absent: nothing says which of the two it is a
    pair of. It was read as the task its file's first row made (a JSON line of another source
    with both keys, trained on as a QC pair whose label judged its title); with the task
    given (--task, predict's run) or the row's own task, the other field is left unread."""
    other = task.other
    if record.get("task") not in (None, "") or not (
            _holds_text(record.get(task.target_column))
            and _holds_text(record.get(other.target_column))):
        return None
    row, whole = ("pair", "pairs are read") if in_memory else ("row", "file is read")
    return (f"the {row} holds both {task.target_column} and {other.target_column}, and neither "
            f"its task field nor a task given says which to read (the {whole} as "
            f"{task.value} by the first {row}); give the {row} a task field, give the task "
            "(--task QC|QI), or drop one of the two fields")


def one_task(in_memory: bool = False) -> str:
    """What to do with rows of both tasks in one file (or one call's pairs)."""
    return ("pass each task's pairs apart" if in_memory
            else "give each task's rows a file of their own")


def _holds_text(value) -> bool:
    """Whether a field holds a target: text with a character beside spaces, or a number (a
    title such as 1080); None, NaN (a table's empty cell) and blanks do not."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value == value  # not NaN
    return bool(str(value).strip())


def other_task_texts(other: str, task: Task, holder: str, reference: str) -> str:
    """The one wording of a row holding the `other` task's texts (other_task_column), for
    `evaluate` and `check-submission` alike: '`holder` item_title texts, but the `reference`
    is a QC file (category_path): the wrong `reference`?' (holder: "the predictions hold")."""
    return (f"{holder} {other} texts, but the {reference} is a {task.value} file "
            f"({task.target_column}): the wrong {reference}?")


class TaskGivenBy(NamedTuple):
    """Who gave the task a file is read as, and what to do, for the line of a first row of
    the other task (its own `task` field names it, or it holds the other task's column alone):
    nothing in the file says that task, so "but the file is QC" or "column missing for task
    QC" (predict's, for a QC run given a file of QI rows) named the wrong culprit, or none."""

    reads: str  # "run runs/a scores QC pairs"
    fix: str  # "predict it with a QI run": where the row is of the other task

    def against(self, problem: str) -> str:
        """The one wording of a row of the other task: `problem`, who gave the task, the fix
        ("task is 'QI' but run runs/a scores QC pairs; predict it with a QI run")."""
        return f"{problem} but {self.reads}; {self.fix}"


def run_task(task: Task, run_shown: object, doing: str = "predict it") -> TaskGivenBy:
    """The task a run scores: `doing` the file with a run of the other task is the fix."""
    return TaskGivenBy(f"run {run_shown} scores {task.value} pairs",
                       f"{doing} with a {task.other.value} run")


def teacher_task(task: Task, run_shown: object) -> TaskGivenBy:
    """The task of the pairs a distill teacher scores (--unlabeled): pairs of that task are
    the fix, the teacher being the run the user distils."""
    return TaskGivenBy(run_task(task, run_shown).reads,
                       f"give --unlabeled files of {task.value} pairs")


def trained_task(task: Task, run_shown: object, name_with: str) -> TaskGivenBy:
    """The task a run was trained on, for its training file read again (distill, far-pairs):
    a file of the other task there now is not the file it was trained on; `name_with` names
    that file's new place ("--train FILE")."""
    return TaskGivenBy(f"run {run_shown} was trained on {task.value} pairs",
                       f"the file was changed since: name the file it was trained on with "
                       f"{name_with}")


def stage0_task(task: Task, first_file: object = None) -> TaskGivenBy:
    """The task stage-0 files are read as: the config's stage0.task, or (`first_file`) that
    of stage0.data's first file, which its columns told. A stage-0 file of the other task than
    the run's own is no error: stage 0 is meant for the other task's rows."""
    if first_file is None:
        return TaskGivenBy(f"the config's stage0.task is {task.value}",
                           f"give stage0.task: {task.other.value}")
    return TaskGivenBy(f"stage0.data's first file, {first_file}, is {task.value}",
                       "name stage-0 files of one task in stage0.data")


def given_task(task: Task, config_key: bool = False) -> TaskGivenBy:
    """A task given by --task, or (`config_key`, train) by the config's data.task."""
    other = task.other.value
    if config_key:
        return TaskGivenBy(f"the task given (--task or the config's data.task) is {task.value}",
                           f"give --task {other} (or data.task: {other})")
    return TaskGivenBy(f"the task given (--task) is {task.value}", f"give --task {other}")


def task_field_agrees(record, task: Task) -> bool:
    """Whether a record's own `task` field is absent, empty or names `task` (any case)."""
    value = record.get("task")
    return value in (None, "") or str(value).upper() == task.value


def task_field_disagrees(record, task: Task, whole: str, fix: str) -> str | None:
    """What is wrong with a record's own `task` field naming another task than `task` (a QI row
    among QC ones: another file's), said against `whole` ("the file is QC"), and `fix`, what
    to do where it names the other task (a field naming none, such as a header's 'task' read
    as a row, is to say `task` or nothing); None when the field is absent, empty or agrees."""
    if task_field_agrees(record, task):
        return None
    value = record["task"]
    if own_task(record) is None:
        fix = f"write {task.value} there, or leave the field empty"
    return TaskGivenBy(whole, fix).against(f"task is {value!r}")


# what else may part a spreadsheet's columns: a header read whole is one column holding them
SEPARATORS = {";": "';'", "\t": "tabs", ",": "','", "|": "'|'"}


def parted_by(column, names=None) -> str | None:
    """The separator (as SEPARATORS says it) that parts a header read as one column into
    several names (with `names`: into one of them), or None."""
    for separator, said in SEPARATORS.items():
        parts = column.split(separator) if isinstance(column, str) else []
        if len(parts) > 1 and (set(parts) & names if names is not None else all(parts)):
            return said
    return None


# how many characters of a header read as one column are shown: its names after them are cut
# whole, not mid-word ('...;label;probabilit')
SHOWN_HEADER_CHARS = 60


def _header_shown(column: str, separator: str) -> str:
    """A long header's first names, cut after a whole name and marked '…'."""
    if len(column) <= SHOWN_HEADER_CHARS:
        return column
    names, kept = column.split(separator), []
    for name in names:
        if kept and len(separator.join([*kept, name])) > SHOWN_HEADER_CHARS:
            break
        kept.append(name)
    return separator.join(kept) + (separator + "…" if len(kept) < len(names) else "")


def _separator_fix(said: str) -> str:
    """What turns a file of other separators into one its name's reader reads."""
    if said == "tabs":
        return "name the file .tsv, or save it with ',' between columns"
    if said == "','":
        return "name the file .csv, or save it with tabs between columns"
    return ("save it again with ',' between columns (a spreadsheet's \"CSV (comma "
            "delimited)\")")


def one_column_said(column: str, said: str) -> str:
    """A header read as one column, with the separator that parts it and what to do: a ';'
    CSV (a European spreadsheet's export) was told what the readers read, not to save it
    again, and its header was cut mid-word."""
    separator = next((sep for sep, name in SEPARATORS.items() if name == said), None)
    shown = _header_shown(column, separator) if separator else column[:SHOWN_HEADER_CHARS]
    return (f"the header is one column, {shown!r}: its columns are parted by {said}, "
            "which this file type does not read (.csv is read with ',', .tsv with tabs); "
            + _separator_fix(said))


def one_column_hint(columns) -> str:
    """A header read as one column ('id;language;origin_query;item_title', a CSV saved where ';'
    parts columns): its separator said, where 'no target column' alone sent the user looking
    for a column the header plainly holds."""
    targets = set(TARGET_COLUMN.values())
    for column in columns:
        said = parted_by(column, targets)
        if said:
            return f" ({one_column_said(column, said)})"
    return ""


def _no_target_advice(columns, holder: str) -> str:
    """What a file of neither target column holds: a target misspelled ('categorypath',
    'item-title') named with its name, else its columns, with what to do."""
    for name in TARGET_COLUMN.values():
        if near_name(columns, name, KNOWN_COLUMNS) is not None:
            return column_advice(columns, name, holder, KNOWN_COLUMNS)
    what = "field" if holder == "the pairs have" else "column"
    return (f"; {holder} {listed(columns)}: add the {what} of the task's target (QC: category "
            "paths, QI: item titles), or rename the one that holds it")


def detect_task(columns, path=None, given: str | Task | None = None,
                in_memory: bool = False, given_by: TaskGivenBy | None = None) -> Task:
    """Pick the task from the columns present, or check a given one against them.

    A file with both target columns needs the task given; a task that does not match the
    columns is an error rather than a silent guess. `in_memory`: the columns are pairs' fields
    (the Python API), which the hint calls pairs, not a file. `given_by`: who gave `given`,
    said with the fix where the columns are the other task's.
    """
    columns = list(columns)  # in the file's order, as the advice names them
    cols = set(columns)
    present = [t for t in Task if t.target_column in cols]
    holder = "the pairs have" if in_memory else "the file has"
    fix = (f"give every pair its {TARGET_COLUMN[Task.parse(given)]!r}, or rename the field "
           "that holds it") if in_memory and given is not None else None
    if given is not None:
        task = Task.parse(given)
        if task.target_column not in cols:
            other = [t.value for t in present]
            hint = (one_column_hint(cols) or other_name_hint(cols, task.target_column, holder)
                    or column_advice(columns, task.target_column, holder, KNOWN_COLUMNS, fix)
                    ) if not other else (
                f" (they look like {other[0]} pairs)" if in_memory
                else f" (the file looks like a {other[0]} file)")
            said = f"column missing for task {task.value}{hint}"
            if other and given_by is not None:  # nothing in the file says the task: who did
                said = given_by.against(f"column missing{hint},")
            raise InputError(said, path=path, field=task.target_column)
        return task
    if len(present) == 1:
        return present[0]
    if not present:
        raise InputError(
            "no target column: expected 'category_path' (QC) or 'item_title' (QI)"
            + (one_column_hint(cols) or other_name_hint(cols, "item_title", holder)
               or other_name_hint(cols, "category_path", holder)
               or _no_target_advice(columns, holder)),
            path=path
        )
    raise InputError(
        "both 'category_path' and 'item_title' are present: give the task (--task QC|QI)",
        path=path,
    )
