"""The API over pair files: `read_pairs`, `check_submission`, `langid_file` and
`translate_file`."""

from __future__ import annotations

import os
from pathlib import Path

from shoprel.api.checks import task_argument, whole_number
from shoprel.api.wording import in_python_words
from shoprel.augment.langid import LangidReport
from shoprel.augment.langid import langid_file as _langid_file
from shoprel.augment.translate_file import TranslationReport
from shoprel.augment.translate_file import translate_file as _translate_file
from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs as _read_pairs
from shoprel.data.records import python_kind
from shoprel.data.submission import SubmissionCheck
from shoprel.data.submission import check_submission as _check_submission
from shoprel.data.tasks import Task, given_task
from shoprel.errors import ConfigError
from shoprel.utils.arguments import OR_SCORE_IT, WRITE_IT_FIRST, flag_argument, path_argument
from shoprel.utils.progress import honours_progress
from shoprel.utils.signals import stops_on_sigterm

__all__ = ["check_submission", "langid_file", "read_pairs", "translate_file"]


@in_python_words
@stops_on_sigterm
def check_submission(submission: str | Path, input_file: str | Path,
                     task: str | None = None) -> SubmissionCheck:
    """`shoprel check-submission`: ids, order, count, 0/1 predictions and any probabilities of
    a submission against the file it answers. A submission a grader would refuse is no error:
    `result.ok` is False and `result.problems` lists what the command prints (the first 20,
    each naming the line and field; `result.more_problems` counts the rest); a file that cannot
    be read at all raises."""
    return _check_submission(path_argument(submission, "submission", WRITE_IT_FIRST),
                             path_argument(input_file, "input_file", WRITE_IT_FIRST),
                             task_argument(task))


@in_python_words
@stops_on_sigterm
def read_pairs(path: str | Path, task: str | None = None, require_label: bool = False,
               empty_text: str = "keep", both_labels: bool = True,
               read_labels: bool = True) -> PairFrame:
    """A whole pair file, every row checked by the file rules (as `shoprel.Scorer.score`
    takes it); a path that is no path (a DataFrame) is one line, as the API's other files.
    A file of the other task than `task` is told that task= gave it, and the fix, as
    evaluate_file and check_submission tell it (it said "column missing for task QC")."""
    path, task = path_argument(path, "path", OR_SCORE_IT), task_argument(task)  # in this order
    return _read_pairs(path, task,
                       require_label=flag_argument(require_label, "require_label"),
                       empty_text=_empty_text(empty_text),
                       both_labels=flag_argument(both_labels, "both_labels"),
                       read_labels=flag_argument(read_labels, "read_labels"),
                       given_by=None if task is None else given_task(Task(task)))


def _empty_text(policy) -> str:
    """"keep" or "drop", refused naming the argument, as `task` is: it said "empty_text must be
    one of ('keep', 'drop'), got 'x'", an InputError (no input file was wrong)."""
    if not isinstance(policy, str) or policy not in ("keep", "drop"):
        raise ConfigError(f"empty_text: 'keep' or 'drop', got {policy!r}")
    return policy


@in_python_words
@stops_on_sigterm
@honours_progress
def langid_file(input_file: str | Path, out_file: str | Path,
                candidates: list[str] | None = None, overwrite: bool = False,
                progress: bool = True) -> LangidReport:
    """`shoprel langid`: the file with each query's detected_language and detected_confidence
    (and detected_by, naming langid) added (the given language stays), written to `out_file`;
    the report counts, per given tag, the rows detected as another language (`report.lines()`
    is the table the command prints).
    `candidates`: the languages to choose among, e.g. `["en", "es", "fr"]`."""
    return _langid_file(path_argument(input_file, "input_file", WRITE_IT_FIRST),
                        path_argument(out_file, "out_file"),
                        candidates=_language_codes(candidates, "candidates"),
                        overwrite=flag_argument(overwrite, "overwrite"),
                        # as the command draws it: a bar from a few thousand rows on
                        progress=None if flag_argument(progress, "progress") else False)


def _language_codes(codes, name: str) -> set[str] | None:
    """Language codes as a list (a text's letters were taken for codes: "en,es" said that
    'e, n, s' are languages the detector does not know)."""
    if codes is None:
        return None
    if not isinstance(codes, list | tuple | set | frozenset):
        raise ConfigError(f"{name}: {python_kind(codes)} is not a list of language codes such "
                          "as ['en', 'es']")
    for code in codes:
        if not isinstance(code, str):
            raise ConfigError(f"{name}: {python_kind(code)} is not a language code such as "
                              "'en'")
    return set(codes)


@in_python_words
@stops_on_sigterm
def translate_file(input_file: str | Path, out_file: str | Path, to: str = "en",
                   backend: str = "apertium", cache: str | Path | None = None,
                   table: str | Path | None = None, model: str | Path | None = None,
                   beams: int | None = None, device: str | None = None,
                   overwrite: bool = False, progress: bool = True) -> TranslationReport:
    """`shoprel translate`: the file with each query's translation into `to` added as
    translated_query (and translated_by, naming translate and its backend), written to
    `out_file`; the report counts per source language what was translated, passed through
    (already `to`), had no route, or was empty (`report.lines()` and `report.summary(out_file)`
    are what the command prints). `backend`: "apertium",
    "table" (`table`: a translations file) or "hf" (`model`, `beams`, `device`); `cache`: an
    SQLite file, so that a rerun translates nothing twice. A `to` with a region ("pt-BR")
    takes the backend's regional pair; `report.region_fallback` says (as the command's
    warning does) where there was none and the base language was written instead, and
    `report.unknown_sources` (the command's warnings too) a table's source tags that name no
    language and no row of the input has, and `report.unknown_targets` its target tags that
    name none and are not `to`, whose rows translated nothing."""
    beams = None if beams is None else whole_number(beams, "beams", ge=1)
    if device is not None and not isinstance(device, str):
        raise ConfigError(f"device: {python_kind(device)} is not a torch device such as 'cpu'")
    if model is not None and not isinstance(model, str | os.PathLike):
        raise ConfigError(f"model: {python_kind(model)} is not a model folder or id")
    return _translate_file(
        path_argument(input_file, "input_file", WRITE_IT_FIRST),
        path_argument(out_file, "out_file"), to=to, backend=backend,
        cache=None if cache is None else path_argument(cache, "cache"),
        table=None if table is None else path_argument(table, "table"), model=model,
        beams=beams, device=device,
        overwrite=flag_argument(overwrite, "overwrite"),
        # as the command draws it: a bar from a few thousand texts on
        progress=None if flag_argument(progress, "progress") else False)
