"""Check a submission against the file it answers: same ids, same order, binary predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shoprel.data.column_names import missing_column
from shoprel.data.formats import typed_format
from shoprel.data.frame import WRITTEN_ID
from shoprel.data.missing_columns import missing_columns
from shoprel.data.prediction import prediction_problem
from shoprel.data.probability import probability_problem
from shoprel.data.records import (
    NO_ROWS,
    as_written,
    column_line,
    iter_records,
    position_label,
    require_file,
)
from shoprel.data.repeated_ids import SeenIds, shown_id
from shoprel.data.run_folder_input import refuse_run_folder
from shoprel.data.spool import input_name, one_from_stdin, readable_input
from shoprel.data.tasks import (
    QUERY_COLUMN,
    Task,
    given_task,
    other_task_column,
    other_task_texts,
    task_field_disagrees,
)
from shoprel.data.validate import (
    RecordValidator,
    checked_id,
    language_tag,
    same_text,
    spreadsheet_id_problem,
)
from shoprel.errors import InputError
from shoprel.utils.counted_noun import counted_noun
from shoprel.utils.outputs import same_file

MAX_PROBLEMS = 20


@dataclass
class SubmissionCheck:
    submission: Path
    input: Path
    rows: int = 0
    expected_rows: int = 0
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, message: str, whole_file: bool = False) -> None:
        """`whole_file`: a problem of the file as a whole (its row count, ids it lacks), kept
        past the limit: it was dropped behind 20 rows' problems, where it says most."""
        if whole_file or len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        else:
            self.more_problems += 1


@dataclass
class _Input:
    """What a submission is checked against: the input's ids (the keys 7 = "7"), each as the
    input wrote it, its queries, targets and language tags (as predict writes them: 'pt_br'
    is 'pt-BR', none is 'unk'), and its task (None for an empty file)."""

    ids: list
    written: list
    queries: list
    targets: list
    languages: list
    task: Task | None
    scored: bool = False  # its first row has a prediction: a submission given as --input
    text_table: bool = False  # a CSV or TSV, whose cells are shown bare (shown_id)

    def shown_id(self, index: int) -> str:
        """The id of the input's row `index` as the input wrote it: "007" of a JSON file
        quoted, a CSV's 007 bare, where its key (7) named an id no line of it holds."""
        return shown_id(self.written[index], self.ids[index], self.text_table)


def _read_input(path: Path, task) -> _Input:
    """The input as `predict` reads it: labels unread (a submission answers no label), so a
    test file's empty label column (null, an empty cell) is no error here either."""
    validator = RecordValidator(path, task, written_ids=True, read_labels=False,
                                given_by=None if task is None
                                else given_task(Task.parse(task)))
    rows, scored = [], False
    for line, record in iter_records(path):
        scored = scored or (not rows and "prediction" in record)
        rows.append(validator.validate(line, record))
    return _Input([r["id"] for r in rows], [r.get(WRITTEN_ID, r["id"]) for r in rows],
                  [r["query"] for r in rows], [r["target"] for r in rows],
                  [r["language"] for r in rows], validator.task, scored, validator.text_table)


def _alike(a, b) -> bool:
    """Written alike: the same value of the same kind (5188 is not "5188", nor 7.0 7)."""
    return type(a) is type(b) and a == b


def _written_alike(value, written, typed_pair: bool) -> bool:
    """Whether a grader finds the input's id in the submission's: compared as written when
    both files keep kinds apart, else as text ("7" is not "007", nor "7.0")."""
    return _alike(value, written) if typed_pair else as_written(value) == as_written(written)


def _first_row_checks(submission: Path, line: int, record: dict, given: _Input,
                      input_shown: str) -> None:
    """What makes every line wrong is said once: no id or prediction column (one spelled
    'ID', which no reader takes for id; the two files swapped, where the input holds the
    predictions). Told at the header's line in a CSV or TSV file, where those columns are
    named."""
    line, label = column_line(submission, line), position_label(submission)
    if not given.scored and (both := missing_columns(record, ("id", "prediction"))):
        raise InputError(both, path=submission, line=line, line_label=label)
    for name in ("id", "prediction"):
        if name not in record:
            said = (f"missing required column; {input_shown} holds predictions: give the "
                    "submission first and the file it answers as its input"
                    if name == "prediction" and given.scored else missing_column(record, name))
            raise InputError(said, path=submission, line=line, field=name, line_label=label)


def _refuse_other_task(submission: Path, line: int, record: dict, task: Task | None) -> None:
    """A row of the other task's texts (predictions of another file) is refused at its line,
    on any row as `evaluate` refuses it: checked on the first row alone, a 4th row holding
    item_title against a QC input passed as "ok", where evaluate refused the same file."""
    if task is not None and (other := other_task_column(record, task)) is not None:
        raise InputError(other_task_texts(other, task, "the submission holds", "input"),
                         path=submission, line=column_line(submission, line), field=other,
                         line_label=position_label(submission))


def _usable_id(check: SubmissionCheck, where: str, record: dict):
    """The row's id as the input's are keyed, by the one id rule files and `serve` share
    (checked_id: 7.0 is 7, "" is none), or None once the problem is said."""
    if "id" not in record:
        check.add(f"{where}, field 'id': missing")
        return None
    try:
        return checked_id(record["id"])
    except ValueError as exc:
        check.add(f"{where}, field 'id': {exc}")
        return None


def _compare_texts(check: SubmissionCheck, where: str, record: dict, given: _Input,
                   index: int) -> None:
    """The query, target (category_path / item_title) and language a row carries, against the
    input's row of the same id: a row edited, or taken from another file, is one problem each
    (only the query was compared: a changed target passed)."""
    texts = {QUERY_COLUMN: given.queries[index]}
    if given.task is not None:
        texts[given.task.target_column] = given.targets[index]
    for column, expected in texts.items():
        value = record.get(column)
        if isinstance(value, str) and not same_text(value, expected):
            check.add(f"{where}, field '{column}': {value[:60]!r}, but the input's row holds "
                      f"{expected[:60]!r}")
    _compare_language(check, where, record.get("language"), given.languages[index])


def _compare_language(check: SubmissionCheck, where: str, value, expected: str) -> None:
    """A row's language tag against the input's row, both read as predict writes them
    (language_tag: 'pt_br' is 'pt-BR', 'vn' is 'vi', blank is 'unk'), so a tag merely spelled
    otherwise is no problem. A row whose tag was edited, or taken from another file, passed as
    "ok" where its edited query or target was told; a grader reading the tag (per-language
    scores) would not read the input's."""
    if isinstance(value, str) and language_tag(value) != expected:
        check.add(f"{where}, field 'language': {value[:60]!r}, but the input's row holds "
                  f"{expected!r}")


def _check_not_itself(submission: Path, input_file: Path) -> None:
    """A submission given as its own input (`./sub.jsonl`, a link to it): predict writes every
    input column back, so it reads as an input, and checked against itself it always passed
    ("ok"), saying nothing of the file it answers. Told after the first row's checks: an input
    given as both (no prediction column) is told that."""
    if same_file(submission, input_file):  # both read by now: neither is missing
        raise InputError(f"is also the input file it is checked against ({input_name(input_file)}"
                         "), which it always matches; give the file the submission answers",
                         path=submission)


def _refuse_runs(submission: Path, input_file: Path) -> None:
    """A run folder given for either file is said to be one, with the file wanted there: a
    run holds no submission, so the input is scored with the run first."""
    refuse_run_folder(input_file, "the file the submission answers",
                      "give the pairs file predict scored as the input")
    refuse_run_folder(submission, "a submission", "write one with the run first (shoprel "
                      f"predict {submission} {input_name(input_file)} --out submission.jsonl) "
                      "and check that file")


def check_submission(submission: str | Path, input_file: str | Path,
                     task: str | None = None) -> SubmissionCheck:
    """Every problem found (up to a limit), each naming the submission's line and field.

    Either file may be a pipe, standard input or compressed (`zcat sub.jsonl.gz | shoprel
    check-submission - --input test.jsonl`), read once into a private copy (data/spool.py)."""
    submission, input_file = Path(submission).expanduser(), Path(input_file).expanduser()
    one_from_stdin(submission, input_file, "the submission and --input")
    _refuse_runs(submission, input_file)
    with readable_input(input_file) as source:  # `<(zcat test.jsonl.gz)`, as predict takes it
        given = _read_input(source, task), typed_format(source)
    if not given[0].ids:  # as predict refuses it: a wrong file or a failed export, not a test
        raise InputError(NO_ROWS, path=input_name(input_file))
    with readable_input(submission) as read:
        return _checked(read, submission, input_file, given)


def _checked(submission: Path, given_as: Path, input_file: Path,
             given: tuple[_Input, bool]) -> SubmissionCheck:
    """check_submission on a readable submission (a pipe's copy), its problems naming it
    `given_as` (`-` as stdin), as the user named it."""
    (given, input_typed), shown = given, Path(input_name(given_as))
    input_shown = input_name(input_file)  # `--input -` said as "stdin", as the submission is
    expected, input_task = given.ids, given.task
    require_file(submission)
    typed = typed_format(submission)  # numbers and texts kept apart, as a grader reads them
    # ids are then compared as written too ("5188" is not 5188 to such a grader), where the
    # input says how it wrote them (a CSV input does not); else as text ("7" is not "007")
    as_written = typed and input_typed
    check = SubmissionCheck(shown, input_file, expected_rows=len(expected))
    known = set(expected)
    has_probability, without_probability = False, 0
    first_without: list[int] = []  # lines of the first rows without a probability
    label = position_label(submission)  # "line", or "row" in a Parquet file
    seen = SeenIds(not typed, label)  # a repeat said as written, as the pair readers say it
    for index, (line, record) in enumerate(iter_records(submission)):
        if index == 0:
            _first_row_checks(submission, line, record, given, input_shown)
            _check_not_itself(given_as, input_file)
        _refuse_other_task(submission, line, record, input_task)
        check.rows += 1
        if (problem := spreadsheet_id_problem(record.get("id"))) is not None:
            # the column's digits are gone: every row after would be said missing or repeated
            raise InputError(problem, path=shown, line=line, field="id", line_label=label)
        where = f"{shown}, {label} {line}"
        row_id = _usable_id(check, where, record)
        written = None if row_id is None else shown_id(record["id"], row_id, not typed)
        repeated = None if row_id is None else seen.repeat(record["id"], row_id, line)
        if repeated:  # an unusable id is said above
            check.add(f"{where}, field 'id': {repeated}")
        if row_id is None:
            pass
        elif row_id not in known:
            there = (f" (expected id {given.shown_id(index)} there, input order)"
                     if index < len(expected) else "")
            check.add(f"{where}, field 'id': id {written} is not in {input_shown}{there}")
        elif index < len(expected) and row_id != expected[index]:
            check.add(f"{where}, field 'id': expected id {given.shown_id(index)} (input order), "
                      f"got {written}")
        elif index < len(expected) and not _written_alike(record["id"], given.written[index],
                                                          as_written):
            how = "as written" if as_written else "as text"
            check.add(f"{where}, field 'id': {written}, but the input writes this id as "
                      f"{given.shown_id(index)}; a grader comparing ids {how} misses it")
        if input_task is not None and (problem := task_field_disagrees(
                record, input_task, f"the input is {input_task}", f"check a submission of "
                f"{input_task.other} pairs against its own input")) is not None:
            check.add(f"{where}, field 'task': {problem}")
        if index < len(expected) and row_id == expected[index]:
            _compare_texts(check, where, record, given, index)
        # a submission is checked as the grader reads it: no "1.0" text for a prediction, and
        # in a typed format (JSON lines, Parquet) the number itself, not "1" or 1.0
        if "prediction" not in record:
            check.add(f"{where}, field 'prediction': missing")
        elif (problem := prediction_problem(record["prediction"], typed)) is not None:
            check.add(f"{where}, field 'prediction': {problem}")
        if "probability" not in record:
            without_probability += 1
            if len(first_without) < MAX_PROBLEMS:
                first_without.append(line)
        else:
            has_probability = True
            if (problem := probability_problem(record["probability"], typed)) is not None:
                check.add(f"{where}, field 'probability': {problem}")
    if check.rows == 0:  # not "0 rows, but the input has 20": a wrong file, as predict says
        raise InputError(NO_ROWS, path=shown)
    if has_probability:
        _missing_probabilities(check, first_without, without_probability, label)
    if check.rows != len(expected):
        check.add(f"{shown}: {check.rows} {counted_noun(check.rows, 'row')}, but {input_shown} has "
                  f"{len(expected)}",
                  whole_file=True)
    missing = set(expected) - seen.keys()
    if missing:  # the first in the input's order, as it writes them
        first = [index for index, key in enumerate(expected) if key in missing][:5]
        sample = ", ".join(given.shown_id(index) for index in first)
        check.add(f"{shown}: {len(missing)} input id(s) have no prediction, e.g. {sample}",
                  whole_file=True)
    return check


def _missing_probabilities(check: SubmissionCheck, lines: list[int], count: int,
                           label: str) -> None:
    """Rows without the probability other rows carry (`lines`: the first of `count`):
    `evaluate` refuses such a file (its ROC-AUC needs every row's), so an "ok" here would be
    undone there."""
    for line in lines:
        check.add(f"{check.submission}, {label} {line}, field "
                  "'probability': missing, but other rows have one")
    check.more_problems += count - len(lines)  # `lines` alone fill the problems shown
