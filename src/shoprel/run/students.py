"""The student a run carries (RUN/student), or why there is none; the run --scorer picks."""

from __future__ import annotations

from pathlib import Path

from shoprel.errors import ConfigError, RunDirError
from shoprel.run.distill_command import distill_command
from shoprel.run.folder import Run
from shoprel.run.layout import MANIFEST, STUDENT
from shoprel.run.metrics_file import lists_student
from shoprel.training.defaults import CARRIED_HARD_WEIGHT, STUDENT_PRESET

SCORERS = ("full", "student")  # what scores for predict/serve: the run's models or its student


def carried_student(run: Run) -> Path:
    """RUN/student, the fast student a run carries (training/student.py), or one RunDirError
    line saying why there is none."""
    folder = run.student_dir()
    if folder is not None:
        return folder
    try:
        metrics = run.metrics()
    except RunDirError:
        metrics = {}
    error = (metrics.get("student") or {}).get("error")
    left = (run.path / STUDENT / MANIFEST).is_file()  # in place, but the run never listed it
    # listed, yet its folder gone or without its manifest (moved, copied without it): said
    # "trained without `train --student`", of a run that was trained with one
    gone = not left and lists_student(metrics)
    why = (f"its distillation failed: {error}" if error else
           "its distillation stopped before the run listed it" if left else
           f"the one its metrics.json lists has no {MANIFEST} in {run.path / STUDENT}: moved "
           "or removed since; put it back there" if gone else
           "trained without `train --student` / config `student: {}`" if run.kind == "run"
           else "an ensemble carries one only once one is distilled for it")
    if left:
        why += f"; the student left in {run.path / STUDENT} is not used"
    # one left in place is distill's to replace; any other folder there it refuses to
    first = (f" (move {run.path / STUDENT} away first)"
             if not left and (run.path / STUDENT).exists() else "")
    raise RunDirError(f"{run.path}: carries no distilled student ({why}); score with "
                      f"--scorer full, or distil one{first}: {_distill_carried(run)}")


def _distill_carried(run: Run) -> str:
    """The command that gives `run` the student train --student would have: without
    --student, distill trains the one the run's config names (its student: section, else the
    default) at --hard-weight its student.hard_weight; an ensemble names none, so it is told
    the preset of that default student, a name distill --student takes (it said STUDENT.yaml,
    a file no one had written); distill_command.py quotes the paths."""
    try:
        named = run.saved_config().student if run.kind == "run" else None
    except ConfigError:  # a damaged config.yaml: said by distill itself, in its own line
        named = None
    hard_weight = CARRIED_HARD_WEIGHT if named is None else named.hard_weight
    command = distill_command(run.path, run.path / STUDENT, hard_weight,
                              None if run.kind == "run" else STUDENT_PRESET)
    return f"{command} (as train --student does)"


def scoring_run(run: Run, scorer: str) -> Run:
    """The run that scores: `run` itself ("full") or the student it carries ("student")."""
    if scorer not in SCORERS:
        raise ConfigError(f"unknown scorer {scorer!r}; use one of {', '.join(SCORERS)}")
    return run if scorer == "full" else Run.open(carried_student(run))
