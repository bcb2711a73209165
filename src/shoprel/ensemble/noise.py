"""Label-noise filtering with cleanlab on a run's out-of-fold probabilities.

OOF scores come from models that never saw the row, which is what confident learning needs.
The flagged ids (`--out`) feed a run config's `noise` section (`flagged: FILE`, `mode: drop` or
`downweight`, `weight: 0.2`), which drops or down-weights them on the training side of every
fold and the final fit while validation keeps every row (training/noise_filter.py). A filtered
copy of the training file (`--filtered-train`) is the drop-only alternative; its runs validate
on the filtered rows alone, so their OOF figures do not compare with the original run's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.formats import (
    ID_TABLE_SUFFIXES,
    file_format,
    output_format,
    refuse_compressed_output,
    refuse_spreadsheet_output,
)
from shoprel.data.records import copy_has_bom, copy_line_end
from shoprel.data.tasks import Task
from shoprel.data.validate import id_text, written_id
from shoprel.data.writers import text_encoding, write_table
from shoprel.ensemble.flag_source import (
    FILTERED,
    check_source_replaceable,
    source_path,
    write_source,
)
from shoprel.ensemble.noise_outputs import (
    TrainingFile,
    check_filtered_replaceable,
    check_flagged_replaceable,
)
from shoprel.errors import InputError, OutputError, RunDirError
from shoprel.evaluate.optimistic import HONEST_STUDENT, honest_runs, optimistic_run
from shoprel.run.folder import Run
from shoprel.run.layout import shown
from shoprel.run.train_file import (
    NAME_WITH_TRAIN,
    check_rows,
    training_file_task,
    training_place,
)
from shoprel.utils.atomic import atomic_file
from shoprel.utils.outputs import Guard, check_output_file, same_file

DEFAULT_FILTER = "prune_by_noise_rate"
# a run whose OOF scores are optimistic is confident on its own rows' labels, so cleanlab doubts
# fewer of them: on 800 real QC rows the fast run flagged 125, its fast student distilled at
# --hard-weight 0.3 without --nested 80 (with --nested 107, at --hard-weight 1.0 111)
OPTIMISTIC_FLAGS = ("{run} is {why}: the rows flagged here rest on its out-of-fold scores, "
                    "which are optimistic, so fewer rows look mislabelled than honest scores "
                    "would show; flag with {honest} (or an ensemble of such runs)")


@dataclass
class NoiseResult:
    """What `shoprel noise` found and wrote: the flagged rows, most suspicious first (as
    find_noisy_rows gives them), of the run's `n_rows`, and the files written, if any."""
    flagged: pd.DataFrame
    n_rows: int | None
    out_file: Path | None = None
    filtered_train: Path | None = None
    dropped: int | None = None  # rows left out of `filtered_train`
    note: str | None = None  # what could not be checked of a moved training file (--train)
    # why the flags rest on optimistic OOF scores, and the run to flag with (flags_note)
    optimistic: str | None = None


def flags_note(run: Run) -> str | None:
    """What the run's flags are worth when its OOF scores are optimistic (a student distilled
    from a teacher that saw its validation rows, or an ensemble holding one: optimistic.py),
    else None."""
    why = optimistic_run(run.metrics())
    if why is None:
        return None
    honest = honest_runs(why)
    honest = f"the teacher, or {honest}" if honest.startswith(HONEST_STUDENT) else honest
    return OPTIMISTIC_FLAGS.format(run=shown(run.path), why=why, honest=honest)


def training_file(run: Run, path: str | Path | None) -> TrainingFile:
    """The run's training file at `path`, read as the task the run was trained on: a file of
    the other task there now says so, and names --train (training_file_task), as distill and
    far-pairs do."""
    return TrainingFile(path, run.task, training_file_task(run))


def find_noisy_rows(run_dir: str | Path, filter_by: str = DEFAULT_FILTER,
                    with_text: bool = True, training: TrainingFile | None = None) -> pd.DataFrame:
    """Rows cleanlab flags, most suspicious first: id, language, label, probability,
    label_quality (the given label's OOF probability), query and target when the file exists.
    `training`: the run's training file as the command read it already (made here if not)."""
    from cleanlab.filter import find_label_issues

    run = Run.open(run_dir)
    oof = run.oof()
    p = np.clip(oof["probability"].to_numpy(dtype=np.float64), 1e-9, 1 - 1e-9)
    labels = oof["label"].to_numpy(dtype=np.int64)
    ranked = find_label_issues(labels, np.column_stack([1 - p, p]), filter_by=filter_by,
                               return_indices_ranked_by="self_confidence", n_jobs=1)
    flagged = oof.iloc[ranked][["id", "language", "label", "probability"]].copy()
    flagged["label_quality"] = np.where(flagged["label"] == 1, flagged["probability"],
                                        1 - flagged["probability"])
    if with_text:
        training = training or training_file(run, training_place(run).path)
        train_file = training.path
        frame = training.frame
        texts = frame.df.set_index("id")
        as_written = ids_as_written(frame.df["id"], training.records)
        _check_unchanged(run, oof, texts, train_file, as_written)
        flagged["query"] = flagged["id"].map(texts["query"])
        flagged["target"] = flagged["id"].map(texts["target"])
        flagged["id"] = flagged["id"].map(as_written)
    return flagged.reset_index(drop=True)


def ids_as_written(keys: pd.Series, records: list) -> dict:
    """{key: the id as the training file wrote it}: the run keeps keys (an id "0104" is the
    number 104 there), but the flagged rows are shown and written with their file's ids, as
    predict gives a scored file's ids back (data.validate.written_id). `keys`: the frame read
    from `records` (no row dropped), in their order."""
    as_text = bool(records) and isinstance(records[0][1].get("id"), str)
    return {key: written_id(record.get("id"), key, as_text)
            for key, (_, record) in zip(keys, records, strict=True)}


def _blank_rows_dropped(run: Run) -> bool:
    """Whether the run trained without the rows of an empty query or target (data.empty_text:
    drop; an ensemble's members read the same rows alike): a run that kept them has such a row
    the file gained since among those it never scored."""
    while run.kind != "run":
        run = Run.open(run.member_dirs()[0])
    return run.saved_config().data.empty_text == "drop"


def _check_unchanged(run: Run, oof: pd.DataFrame, texts: pd.DataFrame,
                     train_file: str | Path, as_written: dict) -> None:
    """The OOF table keeps each id's query, target and label: a training file edited since the
    run would have other rows' texts shown and filtered under the flags of rows it no longer
    holds, so it is refused (an older run's table without those columns is not checked).

    The id named is the one the file writes (`as_written`, from ids_as_written): "0104", not
    the 104 the run keeps; a row the file no longer holds gets the file's kind of id (text in
    a file of text ids), the run keeping no other spelling of it.

    A row the file gained since is refused too (--filtered-train copied it, unflagged, as
    though the run had judged its label), but for one with an empty query or target where the
    run trained without such rows (data.empty_text: drop), as far-pairs and distill read it."""
    if not {"query", "target", "label"} <= set(oof.columns):
        return
    rows = oof.set_index("id")
    missing = ~rows.index.isin(texts.index)
    if missing.any():
        raise RunDirError(f"{shown(run.path)}: {int(missing.sum())} of its rows are not "
                          f"in {train_file} (e.g. id {_said(rows.index[missing][0], as_written)}"
                          "): the file was changed since the run was trained; name the file it "
                          f"was trained on with {NAME_WITH_TRAIN}")
    blank = (texts["query"].astype(str).str.strip().eq("")
             | texts["target"].astype(str).str.strip().eq("")).to_numpy()
    gained = ~texts.index.isin(rows.index)
    # the config read only where a gained row is blank: a run whose config.yaml is gone or no
    # longer loads (an older shoprel's) is still checked where its file gained no such row
    if (gained & blank).any() and _blank_rows_dropped(run):
        gained &= ~blank
    if gained.any():
        raise RunDirError(f"{shown(run.path)}: {train_file} holds {int(gained.sum())} row(s) "
                          f"the run was not trained on (e.g. id "
                          f"{_said(texts.index[gained][0], as_written)}): the file was changed "
                          f"since the run was trained; name the file it was trained on with "
                          f"{NAME_WITH_TRAIN}")
    now = texts.loc[rows.index]
    changed = ((now["query"].astype(str).to_numpy() != rows["query"].astype(str).to_numpy())
               | (now["target"].astype(str).to_numpy() != rows["target"].astype(str).to_numpy())
               | (now["label"].to_numpy(np.int64) != rows["label"].to_numpy(np.int64)))
    if changed.any():
        raise RunDirError(f"{shown(run.path)}: {int(changed.sum())} row(s) of "
                          f"{train_file} differ from those the run was trained on (label, query "
                          f"or target; e.g. id {_said(rows.index[changed][0], as_written)}): the "
                          f"file was changed since; name the file it was trained on with "
                          f"{NAME_WITH_TRAIN}")


def _said(key, as_written: dict) -> str:
    """A run's id as a message names it: as the training file writes it."""
    if key in as_written:
        return repr(as_written[key])
    as_text = any(isinstance(value, str) for value in as_written.values())
    return repr(written_id(key, key, as_text))


def check_noise_outputs(run_dir: str | Path, out_file: str | Path | None,
                        filtered_train: str | Path | None, overwrite: bool = False,
                        training: TrainingFile | None = None) -> None:
    """Both outputs of `shoprel noise`, checked before any work: neither may be the run's
    training file or lie inside the run, nor may they be one file, nor the filtered copy the
    ids' record (flag_source.source_path, written after the ids); with `overwrite`, an
    existing one must be noise's own output, as its record proves (noise_outputs.py).
    `training`: the run's training file, read once for the whole command."""
    run = Run.open(run_dir)
    training = training or training_file(run, run.train_file())
    train_file = training.path
    reads = [train_file] if train_file is not None else []
    if out_file is not None:
        check_output_file(out_file, reads=reads, runs=[run_dir], overwrite=overwrite)
        refuse_compressed_output(out_file)  # flagged.txt.gz would be written plain
        refuse_spreadsheet_output(out_file)  # flagged.xlsx would be lines of text
        check_flagged_replaceable(out_file)
        check_source_replaceable(out_file, reads, run_dir, overwrite)
    if filtered_train is not None:
        check_output_file(filtered_train, reads=reads, runs=[run_dir], overwrite=overwrite)
        output_format(filtered_train)  # written in the format its name says: one known here
        if train_file is not None:  # else find_noisy_rows refuses the run first
            check_filtered_replaceable(filtered_train, training)
        check_source_replaceable(filtered_train, reads, run_dir, overwrite)
    if out_file is not None and filtered_train is not None and \
            same_file(out_file, filtered_train):  # by inode too: a hard link is one file
        raise OutputError(f"{out_file}: given as both --out and --filtered-train; choose two "
                          "files")
    if out_file is not None and filtered_train is not None and \
            same_file(source_path(out_file), filtered_train):  # written after the ids
        raise OutputError(f"{filtered_train}: is where noise records what the --out flags came "
                          "from; choose another --filtered-train")
    if out_file is not None and filtered_train is not None and \
            same_file(source_path(filtered_train), out_file):  # written after the copy
        raise OutputError(f"{out_file}: is where noise records what the --filtered-train copy "
                          "came from; choose another --out")


def write_flagged_ids(flagged: pd.DataFrame, out_file: str | Path,
                      run_dir: str | Path | None = None, overwrite: bool = False,
                      training: TrainingFile | None = None) -> Path:
    """One flagged id per line (plain text), or a table when the name ends in one of
    ID_TABLE_SUFFIXES (.csv, .parquet, ...), and beside it the record that proves it noise's
    (flag_source.py: its digest, `run_dir` the flags came from, the training file's), which a
    run trained with them reads.

    `run_dir`: the run the flags came from; the file may not land inside it, nor be the file
    it was trained on (`training`'s path: made here when not given). An existing file is
    replaced (`overwrite`) only where its record proves it noise's."""
    if training is None:
        training = TrainingFile(Run.open(run_dir).train_file()
                                if run_dir is not None else None)
    train_file = training.path
    reads = [train_file] if train_file is not None else []
    out_file = check_output_file(out_file, runs=[run_dir] if run_dir is not None else [],
                                 reads=reads, overwrite=overwrite)
    refuse_compressed_output(out_file)
    refuse_spreadsheet_output(out_file)
    check_flagged_replaceable(out_file)
    check_source_replaceable(out_file, reads, run_dir, overwrite)
    # a file made at out_file while cleanlab worked is kept (refused) as at the start
    if out_file.suffix.lower() in ID_TABLE_SUFFIXES:
        write_table(flagged, out_file, replace=overwrite, guard=check_flagged_replaceable)
    else:
        with atomic_file(out_file, durable=True, replace=overwrite,
                         guard=check_flagged_replaceable) as tmp:
            tmp.write_text("".join(f"{i}\n" for i in flagged["id"]), encoding="utf-8")
    write_source(out_file, run_dir, train_file, overwrite)
    return out_file


def flag_noisy_rows(run_dir: str | Path, out_file: str | Path | None = None,
                    filtered_train: str | Path | None = None,
                    overwrite: bool = False, train: str | Path | None = None) -> NoiseResult:
    """`shoprel noise`: both outputs checked before any work, the rows cleanlab flags, then the
    flagged ids and the training file without them written where asked. `train`: the training
    file's new place, where it has moved (run/train_file.py: the same data, checked)."""
    run = Run.open(run_dir)
    place = training_place(run, train)
    training = training_file(run, place.path)  # read once, for every check below
    check_noise_outputs(run_dir, out_file, filtered_train, overwrite, training)
    note = check_rows(run, place, training.frame.stats)
    flagged = find_noisy_rows(run_dir, training=training)
    result = NoiseResult(flagged, run.manifest.get("n_rows"), note=note,
                         optimistic=flags_note(run))
    if out_file is not None:
        result.out_file = write_flagged_ids(flagged, out_file, run_dir, overwrite, training)
    if filtered_train is not None:
        result.dropped = filter_training_file(training.path, flagged["id"], filtered_train,
                                              overwrite=overwrite, training=training,
                                              run_dir=run_dir)
        result.filtered_train = Path(filtered_train)
    return result


def filter_training_file(train_file: str | Path, flagged_ids, out_file: str | Path,
                         mode: str = "drop", overwrite: bool = False,
                         training: TrainingFile | None = None,
                         task: Task | str | None = None,
                         run_dir: str | Path | None = None) -> int:
    """Write the training file without the flagged rows, in the format the output's name says
    (a JSON-lines copy of a JSON-lines file is filtered line by line, every other field kept
    as written, from the lines `training` read; any other copy is made from its records),
    and beside it the record that proves it noise's (flag_source.py: its digest, `run_dir`
    the flags came from, `train_file`'s); returns rows dropped. An existing output is
    replaced (`overwrite`) only where that record proves it so (`training`: `train_file` as
    read, made here when not given, with `task`, which a file holding both target columns
    needs, as a run records it)."""
    if mode != "drop":
        raise InputError(f"noise filtering mode {mode!r} is not available for a filtered file: "
                         "only 'drop'; to down-weight, give the flagged ids to a run config "
                         "(noise: {flagged: FILE, mode: downweight, weight: 0.2})")
    train_file = Path(train_file)
    out_file = check_output_file(out_file, reads=[train_file], overwrite=overwrite)
    out_format = output_format(out_file)  # an extension no reader knows: refused here
    training = training or TrainingFile(train_file, task)
    check_filtered_replaceable(out_file, training)
    check_source_replaceable(out_file, [train_file], run_dir, overwrite)
    guard = functools.partial(check_filtered_replaceable, train=training)
    dropped = _write_filtered(train_file, training, flagged_ids, out_file, out_format,
                              overwrite, guard)
    write_source(out_file, run_dir, train_file, overwrite, kind=FILTERED)
    return dropped


def _write_filtered(train_file: Path, training: TrainingFile, flagged_ids, out_file: Path,
                    out_format: str, overwrite: bool, guard: Guard) -> int:
    """filter_training_file's copy itself, put in place (`guard`: at the swap)."""
    drop = {id_text(i) for i in flagged_ids}
    dropped = 0
    if file_format(train_file) == "jsonl" and out_format == "jsonl":  # train.jsonl.gz too
        # the lines `training` read its records from, not the file read again
        ids = {number: id_text(record.get("id")) for number, record in training.records}
        bom = copy_has_bom(train_file, out_format, training.marked)  # marked as its input
        with atomic_file(out_file, durable=True, replace=overwrite, guard=guard) as tmp, \
                open(tmp, "w", encoding=text_encoding(bom), newline="") as dst:
            for number, line in training.lines:
                if ids.get(number) in drop:
                    dropped += 1
                    continue
                dst.write(line)
        return dropped
    records = [record for _, record in training.records]
    kept = [record for record in records if id_text(record.get("id")) not in drop]
    # every row dropped: still the training file's columns (a CSV's header line, a Parquet's
    # schema), which records alone would not give (a CSV of just "\n")
    table = pd.DataFrame.from_records(kept) if kept else pd.DataFrame(
        columns=list(dict.fromkeys(name for record in records for name in record)))
    write_table(table, out_file, replace=overwrite, guard=guard,  # a copy reads as its input did
                bom=copy_has_bom(train_file, out_format),
                line_end=copy_line_end(train_file, out_format))
    return len(records) - len(kept)
