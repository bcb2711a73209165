"""Which stage-0 model a nested teacher refit may start from.

The teacher's own fits all started from its stage 0, so its nested refits must too, or they
estimate another training. That is honest only while stage 0 learnt none of the rows a
student fold validates on: the pairs of the file being distilled. Stage 0 fitted on the other
task's file holds none of them (its targets are of another kind); one fitted on a file of the
run's own task is checked pair by pair, when that file is still there as it was fitted on.
"""

from __future__ import annotations

from pathlib import Path

from shoprel import runs
from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.errors import InputError, RunDirError
from shoprel.training.config import RunConfig
from shoprel.training.runner import STAGE0_MODEL
from shoprel.training.stage0_rows import shared_pairs
from shoprel.utils.digest import sha256_of_file
from shoprel.utils.outputs import same_file


def nested_start(run: runs.Run, config: RunConfig, rows_file: Path,
                 rows: PairFrame) -> tuple[Path | None, str | None]:
    """The stage-0 model folder the nested refits of `run` start from (None: they start
    without it) and a line saying which and why; (None, None) when the run had no stage 0.
    `config`: the run's own (how it read the stage-0 file); `rows`: rows_file's rows, the
    ones the student folds validate on."""
    info = run.metrics().get("stage0")
    if not info:
        return None, None
    stage0_file = Path(str(info.get("train_file", ""))).resolve()
    task = info.get("task")
    fitted_on = f"fitted on {task or 'unrecorded'} rows of {stage0_file}"
    name = runs.shown(run.path)  # runs/a, where an ensemble reaches it at runs/ens/../a
    without = f"{name}: the refits start without its stage 0, {fitted_on}"
    for file in (rows_file, run.train_file()):
        if file and same_file(stage0_file, file):
            return None, f"{without}: the training file {file} itself"
    if task != run.task.value:
        if task is None:
            return None, f"{without}, which may hold the rows of {rows_file}"
        return stage0_folder(run), (f"{name}: the refits start from its stage 0, fitted on "
                                    f"the other task's ({task}) rows of {stage0_file}, none of "
                                    "them this file's")
    reason = same_task_leak(stage0_file, info, config, rows_file, rows)
    if reason:
        return None, f"{without}, {reason}"
    return stage0_folder(run), (f"{name}: the refits start from its stage 0, {fitted_on}, "
                                f"which share no (query, target) pair with {rows_file}")


def same_task_leak(stage0_file: Path, info: dict, config: RunConfig, rows_file: Path,
                   rows: PairFrame) -> str | None:
    """Why a stage-0 file of the run's own task may hold rows_file's pairs (None: it holds
    none). Only the file as it is now can be read: one gone, unreadable, of another row count
    than stage 0 fitted on (metrics.json stage0.train_rows) or with other bytes
    (stage0.train_sha256: a label changed, a pair renamed) tells nothing of them. A run written
    before the digest was recorded is checked on its row count alone."""
    if not stage0_file.is_file():
        return f"which is no longer there: whether it held rows of {rows_file} cannot be told"
    try:
        stage0 = read_pairs(stage0_file, task=info["task"], require_label=True,
                            empty_text=config.data.empty_text)
    except InputError as problem:
        return f"which can no longer be read ({problem}): it may hold rows of {rows_file}"
    fitted_rows = info.get("train_rows")
    if fitted_rows is not None and len(stage0) != fitted_rows:
        return (f"which holds {len(stage0)} rows now, not the {fitted_rows} stage 0 learnt: "
                f"changed since, it may have held rows of {rows_file}")
    fitted_sha256 = info.get("train_sha256")
    if fitted_sha256 is not None and sha256_of_file(stage0_file) != fitted_sha256:
        return (f"whose bytes differ from those stage 0 learnt (SHA-256 "
                f"{fitted_sha256[:12]}... in metrics.json stage0.train_sha256): changed since, "
                f"it may have held rows of {rows_file}")
    shared = shared_pairs(stage0, rows)
    if not shared:
        return None
    query, target = shared[0]
    return (f"which shares {len(shared)} pair(s) with {rows_file} (first: {query!r} / "
            f"{target!r}): stage 0 learnt their labels")


def stage0_folder(run: runs.Run) -> Path:
    """The run's saved stage-0 model, which its refits start from."""
    folder = run.path / runs.MODELS / STAGE0_MODEL
    if not folder.is_dir():
        raise RunDirError(f"{folder}: missing; the run's fits started from this stage-0 model, "
                          "and its nested refits must too")
    return folder
