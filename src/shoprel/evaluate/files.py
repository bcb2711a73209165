"""`shoprel evaluate`: score a predictions file against a labelled gold file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pandas as pd

from shoprel.data.category import top_level
from shoprel.data.column_names import missing_column
from shoprel.data.formats import typed_format
from shoprel.data.missing_columns import missing_columns
from shoprel.data.prediction import prediction_problem
from shoprel.data.probability import probability_problem
from shoprel.data.readers import read_pairs
from shoprel.data.records import (
    NO_ROWS,
    column_line,
    iter_records,
    position_label,
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
    NO_LABELS,
    binary_value,
    checked_id,
    id_line,
    same_text,
    spreadsheet_id_problem,
)
from shoprel.errors import InputError
from shoprel.evaluate.run_metrics import scored_metrics


def _read_predictions(path: Path, task: Task) -> pd.DataFrame:
    ids, predictions, probabilities, queries, targets, lines = [], [], [], [], [], []
    shown = []  # each id as the file wrote it, for a message naming it
    records = list(iter_records(path))
    if not records:  # not "20 gold id(s) have no prediction": a wrong file, as predict says
        raise InputError(NO_ROWS, path=path)
    label = position_label(path)  # "line", or "row" in a Parquet file
    typed = typed_format(path)
    seen = SeenIds(not typed, label)  # a repeat said as written, as the pair readers say it
    # probabilities are the file's when any row has one: then every row needs one (a first
    # row without one dropped them all, and ROC-AUC, without a word)
    has_probability = any("probability" in record for _, record in records)
    for line, record in records:
        if (other := other_task_column(record, task)) is not None:
            raise InputError(other_task_texts(other, task, "the predictions hold", "gold file"),
                             path=path, line=column_line(path, line), line_label=label,
                             field=other)
        if (problem := task_field_disagrees(
                record, task, f"the gold file is {task}", f"evaluate predictions of "
                f"{task.other} pairs against their own gold file")) is not None:
            raise InputError(problem, path=path, line=line, line_label=label, field="task")
        query, target = record.get(QUERY_COLUMN), record.get(task.target_column)
        queries.append(query if isinstance(query, str) else None)
        targets.append(target if isinstance(target, str) else None)
        if line == records[0][0] and (both := missing_columns(record, ("id", "prediction"))):
            raise InputError(both, path=path, line=column_line(path, line), line_label=label)
        for name in ("id", "prediction"):
            if name not in record:
                raise InputError(missing_column(record, name), path=path,
                                 line=column_line(path, line), line_label=label, field=name)
        # read as check-submission reads it: "1" or 1.0 in JSON lines, or "1.0" in a CSV, is no
        # prediction to a grader
        problem = prediction_problem(record["prediction"], typed)
        if problem:
            raise InputError(problem, path=path, line=line, line_label=label, field="prediction")
        prediction = binary_value(record["prediction"])
        if has_probability:
            if "probability" not in record:
                raise InputError("missing", path=path, line=column_line(path, line),
                                 line_label=label, field="probability")
            # read as check-submission reads it: "0.5" or true in JSON lines is no number
            problem = probability_problem(record["probability"], typed)
            if problem:
                raise InputError(problem, path=path, line=line, line_label=label,
                                 field="probability")
            probabilities.append(float(record["probability"]))
        problem = spreadsheet_id_problem(record["id"])
        if problem:  # '1.23E+05' read as text was said to be a duplicate, or not in the gold
            raise InputError(problem, path=path, line=line, line_label=label, field="id")
        try:  # the one id rule of files, submissions and serve (7.0 is 7, "" is none)
            row_id = checked_id(record["id"])
        except ValueError as exc:
            raise InputError(str(exc), path=path, line=line, line_label=label,
                             field="id") from None
        repeated = seen.repeat(record["id"], row_id, line)
        if repeated:
            raise InputError(repeated, path=path, line=line, line_label=label, field="id")
        ids.append(row_id)
        shown.append(shown_id(record["id"], row_id, not typed))
        lines.append(line)
        predictions.append(prediction)
    # ids of both files as plain values: a text id never meets a number id (an error that
    # names them below), where typed columns would not merge at all
    table = pd.DataFrame({"id": pd.Series(ids, dtype=object), "prediction": predictions,
                          "predicted_query": queries, "predicted_target": targets,
                          "line": lines, "shown_id": shown})
    if has_probability:
        table["probability"] = probabilities
    return table


def evaluate_files(predictions: str | Path, gold: str | Path,
                   task: str | None = None) -> dict:
    """Metrics of predictions against gold labels, matched by id; every gold id must be scored.

    Either file may be a pipe, standard input or compressed (rows.jsonl.gz), as predict's
    input: read once into a private copy (data/spool.py), and named as given."""
    predictions, gold = Path(predictions).expanduser(), Path(gold).expanduser()
    one_from_stdin(predictions, gold, "predictions and gold")
    _refuse_runs(predictions, gold)
    with readable_input(predictions) as predictions_read, readable_input(gold) as gold_read:
        return _evaluated(predictions_read, gold_read, task,
                          given=(input_name(predictions), input_name(gold)))


def _refuse_runs(predictions: Path, gold: Path) -> None:
    """A run folder given for either file (`evaluate RUN gold.jsonl`) is said to be one, with
    the file evaluate reads there: a run holds no predictions file (its oof.parquet has no
    prediction column), so the gold file is scored with the run first."""
    refuse_run_folder(gold, "the labelled gold file",
                      "give the labelled pairs the predictions answer as the gold file")
    refuse_run_folder(predictions, "a predictions file", "score the gold file with the run "
                      f"first (shoprel predict {predictions} {input_name(gold)} --out "
                      "predictions.jsonl) and evaluate that file")


def _evaluated(predictions: Path, gold: Path, task: str | None,
               given: tuple[str, str]) -> dict:
    """evaluate_files on readable files (a pipe's copy); `given` names the two files in
    messages and metrics as the user named them."""
    gold_given = given[1]
    try:
        gold_frame = read_pairs(gold, task=task, require_label=True, both_labels=False,
                                given_by=None if task is None
                                else given_task(Task.parse(task)))
    except InputError as exc:
        if exc.field == "label" and _holds_predictions(gold):
            # said in place of the columns the file has: what it holds is the advice here
            reason = NO_LABELS if exc.reason.startswith(NO_LABELS) else exc.reason
            raise InputError(f"{reason}; {gold_given} holds predictions: "
                             + _swap_advice(predictions, gold, given), path=exc.path,
                             line=exc.line, field=exc.field) from None
        raise
    scored = _read_predictions(predictions, gold_frame.task)
    gold_rows = gold_frame.df.assign(id=gold_frame.df["id"].astype(object))
    table = gold_rows.merge(scored, on="id", how="left", validate="one_to_one")
    missing = table["prediction"].isna()
    unscored = ""
    if missing.any():
        sample = ", ".join(_shown_ids(gold, list(table.loc[missing, "id"].head(5))))
        unscored = f"{int(missing.sum())} gold id(s) have no prediction, e.g. {sample}"
    # a predicted id the gold file lacks is named first, by its line: an id mangled on the
    # way is both, and the line is where to look (as check-submission names it)
    extra = scored[~scored["id"].isin(set(gold_rows["id"]))]
    if len(extra):
        first = extra.iloc[0]
        raise InputError(f"{len(extra)} predicted id(s) are not in the gold file {gold_given}, "
                         f"e.g. id {first['shown_id']}" + (f"; {unscored}" if unscored else ""),
                         path=predictions, line=int(first["line"]),
                         line_label=position_label(predictions), field="id")
    if unscored:
        raise InputError(unscored, path=predictions, field="id")
    _check_texts(table, predictions, (gold, gold_given), gold_frame.task)
    table = table.drop(columns=["predicted_query", "predicted_target", "line", "shown_id"])
    table["prediction"] = table["prediction"].astype("int64")
    if gold_frame.task is Task.QC:
        table["top_category"] = table["target"].map(top_level)
    out = scored_metrics(table, gold_frame.task)
    out.update({"predictions": given[0], "gold": gold_given,
                "prediction_columns": ["id", "prediction", *(["probability"]
                                                  if "probability" in scored.columns else [])]})
    return out


def _swap_advice(predictions: Path, gold: Path, given: tuple[str, str]) -> str:
    """What to do where the gold file holds predictions: the files swapped, unless the first
    holds predictions too (`evaluate sub.txt sub.txt`: the same file twice, or two
    submissions), where 'give the predictions first' sent the user to swap what was right."""
    try:
        first_predicts = _holds_predictions(predictions)
    except (InputError, OSError):  # a broken predictions file: told when it is read
        first_predicts = False
    if not first_predicts:
        return "give the predictions first and the labelled gold file second"
    with contextlib.suppress(OSError):
        if os.path.samefile(predictions, gold):
            return "it is the predictions file given again; give the labelled gold file second"
    return f"as {given[0]} does; give the labelled gold file second"


def _holds_predictions(path: Path) -> bool:
    """Whether the file's first row has a prediction column: a submission given as the gold
    file (the two files swapped) rather than gold rows without labels."""
    for _, record in iter_records(path):
        return "prediction" in record
    return False


def _check_texts(table: pd.DataFrame, predictions: Path, gold: tuple[Path, str],
                 task: Task) -> None:
    """Predictions that carry their queries or targets (shoprel predict writes both) must be
    of the gold file's rows: the same ids with other texts are another file's predictions (a
    category path edited on the way was scored as if it were the gold row's: check-submission
    refused it, evaluate did not look). The first is named at its line in both files (it was
    named by its id alone, to be looked up in each). `gold`: the file read, and as given."""
    gold_read, gold_given = gold
    for carried_column, column, field, what in (
            ("predicted_query", "query", QUERY_COLUMN, "queries"),
            ("predicted_target", "target", task.target_column, f"{task.target_column}s")):
        carried = table[carried_column].notna()
        differ = [(row_id, line, shown, mine, theirs)
                  for row_id, line, shown, mine, theirs in zip(
                      table.loc[carried, "id"], table.loc[carried, "line"],
                      table.loc[carried, "shown_id"], table.loc[carried, carried_column],
                      table.loc[carried, column], strict=True)
                  if not same_text(mine, theirs)]
        if differ:
            row_id, line, shown, mine, theirs = min(differ, key=lambda row: row[1])  # first
            gold_line = id_line(gold_read, row_id)
            where = gold_given if gold_line is None else (
                f"{gold_given}, {position_label(gold_read)} {gold_line}")
            raise InputError(f"{len(differ)} row(s) have other {what} than the gold file under "
                             f"the same id, e.g. id {shown}: {mine[:60]!r}, but {where}, "
                             f"field '{field}' holds {str(theirs)[:60]!r}: predictions of "
                             "another file?", path=predictions, line=int(line),
                             line_label=position_label(predictions), field=field)


def _shown_ids(path: Path, keys: list) -> list[str]:
    """The ids `keys` (as the frame read from `path` holds them: 7 for "007") each as the file
    wrote it (repeated_ids.shown_id), for a message naming gold rows: "e.g. 8, 9" named ids
    the gold file writes "008", "009". Reads the file again: for an error's wording only."""
    wanted, text_table = set(keys), not typed_format(path)
    shown = {}
    for _, record in iter_records(path):
        with contextlib.suppress(ValueError):  # the reader refused such an id: none is wanted
            key = checked_id(record.get("id"))
            if key in wanted and key not in shown:
                shown[key] = shown_id(record["id"], key, text_table)
    return [shown.get(key, repr(key)) for key in keys]
