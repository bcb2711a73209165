"""Which stage-0 model a nested teacher refit may start from.

The teacher's own fits all started from its stage 0, so its nested refits must too, or they
estimate another training. That is honest only while stage 0 learnt none of the rows a
student fold validates on: the pairs of the file being distilled. Stage 0 fitted on the other
task's file holds none of them (its targets are of another kind); one fitted on a file of the
run's own task is checked pair by pair, when that file is still there as it was fitted on, or
at the new place a user names with --stage0-train (checked to be the same file:
run/train_file.py).
"""

from __future__ import annotations

from pathlib import Path

from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError, InputError, RunDirError
from shoprel.run.folder import Run
from shoprel.run.layout import MODELS, shown
from shoprel.run.stage0_record import RecordedStage0File, recorded_stage0_files
from shoprel.run.train_file import STAGE0, TrainingPlace, check_rows, stage0_place
from shoprel.training.config import RunConfig
from shoprel.training.runner import STAGE0_MODEL
from shoprel.training.stage0_rows import shared_pairs
from shoprel.utils.digest import sha256_of_file
from shoprel.utils.outputs import same_file

# the way on where the stage-0 file was changed in place: its original, kept elsewhere
MOVED_ORIGINAL = f"name the file stage 0 was fitted on with {STAGE0.name_with}"
# the way on for one of several stage-0 files, which --stage0-train cannot name
PUT_BACK = ("put the file stage 0 was fitted on back where the run records it (metrics.json "
            "stage0.train_file)")


def trained_runs(run: Run) -> list[Run]:
    """The run itself, or the trained runs behind an ensemble (a nested one's too)."""
    if run.kind != "ensemble":
        return [run]
    return [inner for member in run.member_dirs()
            for inner in trained_runs(Run.open(member))]


def stage0_places(teacher: Run, given: str | Path | None) -> dict[Path, TrainingPlace]:
    """Where the refits read the stage-0 file of each run behind the teacher that `given`
    (--stage0-train: its new place) is the file of, by the run's resolved folder; {} without
    one. Its stage 0 must be of the run's own task (the only kind whose file is read) and
    its record must fit (run/train_file.py: the digest, else the row count once read); an
    ensemble's members may name other files, so a file fitting one of them is enough, and
    one fitting none is refused as the first one refuses it. A file whose digest a member
    records is that member's alone: a member recording none (a run trained before it was
    kept) then reads its own, not another's file of as many rows."""
    if given is None:
        return {}
    readers = [run for run in trained_runs(teacher)
               if (run.metrics().get("stage0") or {}).get("task") == run.task.value]
    if not readers:
        raise ConfigError(f"{STAGE0.option}: no stage 0 of {shown(teacher.path)} was "
                          "fitted on a file of its own task, the only stage-0 file the nested "
                          f"refits read; drop {STAGE0.option}")
    places, refused = {}, None
    for run in readers:
        try:
            places[run.path.resolve()] = stage0_place(run, given)
        except InputError as problem:
            refused = refused or problem
    if not places:
        raise refused
    return {path: place for path, place in places.items() if not place.undigested} or places


def nested_start(run: Run, config: RunConfig, rows_file: Path, rows: PairFrame,
                 place: TrainingPlace | None = None) -> tuple[Path | None, str | None]:
    """The stage-0 model folder the nested refits of `run` start from (None: they start
    without it) and a line saying which and why; (None, None) when the run had no stage 0.
    `config`: the run's own (how it read the stage-0 file); `rows`: rows_file's rows, the
    ones the student folds validate on; `place`: where its stage-0 file has moved
    (stage0_places), else it is read where the run recorded it: each of its files, where
    stage 0 was fitted on several (run/stage0_record.py)."""
    info = run.metrics().get("stage0")
    if not info:
        return None, None
    recorded = recorded_stage0_files(info)
    files = [Path(str(file.file or "")).resolve() for file in recorded]
    task = info.get("task")
    fitted_on = f"fitted on {task or 'unrecorded'} rows of {' and '.join(map(str, files))}"
    if place is not None:  # a stage 0 of one file (stage0_place)
        files = [place.path.resolve()]
        fitted_on += f", read at {files[0]} ({STAGE0.option})"
    name = shown(run.path)  # runs/a, where an ensemble reaches it at runs/ens/../a
    without = f"{name}: the refits start without its stage 0, {fitted_on}"
    for file in (rows_file, run.train_file()):
        if file and any(same_file(stage0_file, file) for stage0_file in files):
            return None, f"{without}: the training file {file} itself"
    if task != run.task.value:
        if task is None:
            return None, f"{without}, which may hold the rows of {rows_file}"
        return stage0_folder(run), (f"{name}: the refits start from its stage 0, fitted on "
                                    f"the other task's ({task}) rows of "
                                    f"{' and '.join(map(str, files))}, none of them this file's")
    unchecked = None
    for stage0_file, fitted in zip(files, recorded, strict=True):
        which = "which" if len(files) == 1 else f"of which {stage0_file}"
        reason, unchecked = same_task_leak(run, stage0_file, fitted, task, config, rows_file,
                                           rows, place, which)
        if reason:
            return None, f"{without}, {reason}"
    return stage0_folder(run), (f"{name}: the refits start from its stage 0, {fitted_on}, "
                                f"which share no (query, target) pair with {rows_file}"
                                + (f" ({unchecked})" if unchecked else ""))


def same_task_leak(run: Run, stage0_file: Path, fitted: RecordedStage0File, task: str,
                   config: RunConfig, rows_file: Path, rows: PairFrame,
                   place: TrainingPlace | None = None,
                   which: str = "which") -> tuple[str | None, str | None]:
    """Why a stage-0 file of the run's own task may hold rows_file's pairs (None: it holds
    none), and what of a file named with --stage0-train (`place`) could not be checked (a
    run recording no digest of it: its row count is, and another count is refused). Only the
    file as it is now can be read: one gone, refused by the reader (garbled, or now of the
    other task or of one label: it read then), of another row count than stage 0
    fitted on (`fitted`: metrics.json stage0.train_rows) or with other bytes
    (stage0.train_sha256: a label changed, a pair renamed) tells nothing of them. A run
    written before the digest was recorded is checked on its row count alone. `which`: how
    the reason names the file ("of which FILE", one of several)."""
    single = which == "which"
    moved, changed = (STAGE0.give_new_place, MOVED_ORIGINAL) if single else (PUT_BACK, PUT_BACK)
    if not stage0_file.is_file():
        return (f"{which} is no longer there: whether it held rows of {rows_file} cannot be "
                f"told; {moved}"), None
    try:
        stage0 = read_pairs(stage0_file, task=task, require_label=True,
                            empty_text=config.data.empty_text, both_labels=single)
    except InputError as problem:  # read as stage 0 read it then: the file changed since
        return (f"{which} no longer reads as the {task} rows stage 0 learnt "
                f"({_within(problem, stage0_file)}): changed since, it may have held rows of "
                f"{rows_file}; {changed}"), None
    unchecked = None if place is None else check_rows(run, place, {"rows": len(stage0)})
    if fitted.rows is not None and len(stage0) != fitted.rows:
        return (f"{which} holds {len(stage0)} rows now, not the {fitted.rows} stage 0 learnt: "
                f"changed since, it may have held rows of {rows_file}; {changed}"), None
    # (a named file's digest was checked when it was named)
    if fitted.sha256 is not None and place is None \
            and sha256_of_file(stage0_file) != fitted.sha256:
        differ = "whose bytes differ from" if single else f"{which} has other bytes than"
        return (f"{differ} those stage 0 learnt (SHA-256 "
                f"{fitted.sha256[:12]}... in metrics.json stage0.train_sha256): changed since, "
                f"it may have held rows of {rows_file}; {changed}"), None
    shared = shared_pairs(stage0, rows)
    if not shared:
        return None, unchecked
    query, target = shared[0]
    return (f"{which} shares {len(shared)} pair(s) with {rows_file} (first: {query!r} / "
            f"{target!r}): stage 0 learnt their labels"), unchecked


def _within(problem: InputError, file: Path) -> str:
    """A reader's problem with `file` less the file's name, which the reason names already
    ("line 1, field 'category_path': column missing for task QC ..."); another file's in full."""
    if problem.path != str(file):
        return str(problem)
    return str(InputError(problem.reason, line=problem.line, field=problem.field,
                          line_label=problem.line_label))


def stage0_folder(run: Run) -> Path:
    """The run's saved stage-0 model, which its refits start from."""
    folder = run.path / MODELS / STAGE0_MODEL
    if not folder.is_dir():
        raise RunDirError(f"{folder}: missing; the run's fits started from this stage-0 model, "
                          "and its nested refits must too")
    return folder
