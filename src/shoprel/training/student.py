"""The student a run carries: distilled into RUN/student once the run's own model is trained.

The run's model (the teacher) is finished and in place before the student starts, so a student
that fails, or a kill while it trains, costs the student only: the teacher run stays whole, and
a failure is recorded in its metrics.json. `shoprel distill RUN --out RUN/student --hard-weight
1` distils one again later: without --student, the student the run's config names
(named_student); 1: what train --student uses unless the config's student.hard_weight says
otherwise, distill's own default being 0.3. The student is an
ordinary run folder (predict, serve and report read it) trained on the teacher's folds;
`predict`/`serve --scorer student` score with it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from shoprel.errors import ConfigError, Interrupted, one_line_reason
from shoprel.models.model_words import model_words
from shoprel.run.distill_command import distill_command
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, STUDENT, shown
from shoprel.run.writer import RunWriter
from shoprel.training.config import RunConfig
from shoprel.training.config_reading import load_config
from shoprel.training.defaults import NO_STUDENT_FIX
from shoprel.training.distill import distill


class StudentInterrupted(Interrupted):
    """A stop while the student was distilled: the run at `run_dir` is in place and whole, so
    `shoprel train` still prints its figures before saying why it has no student."""

    def __init__(self, note: str, run_dir: Path):
        super().__init__(note)
        self.run_dir = run_dir


def student_run_config(config: RunConfig) -> RunConfig:
    """The student's run config: the run's data, folds, threshold rule and checks, the student's
    model. The folds are the run's (the teacher's), not set by the student config: distill
    notes a student config's own folds as unused, and this one sets none."""
    student = RunConfig(data=config.data, model=config.student.model,
                        threshold=config.threshold, check=config.check, student=None)
    return RunConfig.model_construct(student.model_fields_set,
                                     **{**dict(student), "folds": config.folds})


def named_student(teacher: Run) -> RunConfig:
    """The student `shoprel distill` trains when given no --student: the one the run's
    config.yaml names (its student: section, else train --student's default), as
    train --student distils it (student_run_config), so that a run whose student failed or
    was stopped gets it in one command. An ensemble's config names no student: it is told the
    preset of train --student's student, as run/students.py's advice on scoring with one names
    it (it said `--student FILE`, a file the user had to write)."""
    if teacher.kind != "run":
        raise ConfigError(f"--student: {shown(teacher.path)} is an ensemble, whose config "
                          f"names no student: {NO_STUDENT_FIX}")
    return student_run_config(teacher.saved_config().with_student())


def repeats_the_run(config: RunConfig) -> bool:
    """Whether config.student learns the labels alone (hard_weight 1.0) with the run's very
    model and training side: the run's model again, the same AUC and F1 for twice the
    training time (a USE run with --student: +1,040 s). Params that change only how a fit
    runs (threads, caches: RunConfig.as_fitted) make no other model."""
    student = config.student
    if student is None or student.hard_weight < 1.0:
        return False  # none, or one that learns the run's out-of-fold probabilities too
    # another model, or a training side the run has and the student does not: a new model
    return student_run_config(config).as_fitted() == config.as_fitted()


def _model_words(model) -> str:
    """'fast' or 'embed on use-multilingual', as the refusals name a model."""
    return model_words(model.family, model.params.get("backbone"))


def check_student_differs(config: RunConfig) -> None:
    """A carried student that would be the run's model again (repeats_the_run) is refused
    before anything is trained."""
    if repeats_the_run(config):
        raise ConfigError(
            f"student: the student would be the run's own model "
            f"({_model_words(config.student.model)}, the labels alone, the same rows and "
            "folds), trained a second time for the same AUC and F1: drop --student (or the "
            "config's student: section), or give the student another model (student.model) "
            "or student.hard_weight below 1")


def is_teachers_model(teacher_dir: str | Path, config: RunConfig) -> bool:
    """Whether the student `config` (on the run's task: student_config) fits the model of the
    run at teacher_dir with its whole training side (augment, noise, stage0 ...): the run's
    model again, told apart only by the targets it learns. An ensemble is no single model."""
    run = Run.open(teacher_dir)
    if run.kind != "run":
        return False
    teacher = load_config(run.path / CONFIG, saved=True)
    teacher = teacher.model_copy(update={  # its task as the student's: detected, not written
        "data": teacher.data.model_copy(update={"task": config.data.task})})
    # the student trains on the teacher's folds, whatever its config says
    as_student = config.model_copy(update={"folds": teacher.folds})
    return as_student.as_fitted() == teacher.as_fitted()


# own_model_note's words for distill's options, and train's for a carried student's note, whose
# model and hard weight are the config's student section (train has no --hard-weight, and its
# --student is a switch, not a config to give another model)
_MEASURED_AT = ("at --hard-weight 0.3:", "at student.hard_weight 0.3:")
_WAY_ON = ("give --student another model, or keep the teacher",
           "give the student another model (student.model), or drop --student (or the "
           "config's student: section)")


def own_model_note(teacher_dir: str | Path, config: RunConfig) -> str:
    """What distill says before a student of the teacher's own model learns the teacher's
    out-of-fold probabilities (hard_weight below 1): measured on new queries, it ranked below
    the teacher it learnt from."""
    return (f"the student is the model of {Path(teacher_dir)} ({_model_words(config.model)}) "
            "learning from its out-of-fold probabilities: on new queries such a student ranked "
            f"below its teacher (fast from fast {_MEASURED_AT[0]} ROC-AUC 0.6664 and 0.6542 "
            "against 0.6744 and 0.6766 on two query splits, docs/measurements-qc.md); "
            f"{_WAY_ON[0]}")


def in_train_words(line: str) -> str:
    """A note distill says before its work, as train says it of the student a run carries
    (own_model_note's options named as the config's student section)."""
    for distill_words, train_words in (_MEASURED_AT, _WAY_ON):
        line = line.replace(distill_words, train_words)
    return line


def check_distilled_student_differs(teacher_dir: str | Path, config: RunConfig,
                                    hard_weight: float, adds_pairs: bool = False) -> None:
    """`shoprel distill RUN --student FILE --hard-weight 1` with FILE's model and training side
    the run's own retrains the run (as train --student would, which refuses it): refused the
    same way, before any work. `config`: the student's, on the run's task (student_config);
    `adds_pairs`: the teacher scores unlabelled pairs (--unlabeled) for the student to learn
    too, another training side (self-training), never the run again."""
    if hard_weight >= 1.0 and not adds_pairs and is_teachers_model(teacher_dir, config):
        raise ConfigError(
            f"model: the student would be the model of {Path(teacher_dir)} again "
            f"({_model_words(config.model)}, the labels alone, the same rows and folds), "
            "trained a second time for the same AUC and F1: give --student another model, "
            "or --hard-weight below 1")


def carry_student(run_dir: str | Path, config: RunConfig, progress: bool = True,
                  name: str | None = None, say: Callable[[str], None] | None = None) -> dict:
    """Distil config.student from the finished run at run_dir into run_dir/student; returns
    the block the run's metrics.json now holds under "student" ({"error": ...} on failure).
    `say`: hears the notes distill says before its work, in train's words (in_train_words).
    Of distill's, only a student of the run's own model below hard_weight 1 can be said here:
    the run just written records its file's digest and the student is not nested. Its
    teacher-teaches-nothing note at hard_weight 1 (the command's, not distill's) is not said:
    the labels alone are what a carried student learns unless its config says otherwise."""
    run_dir = Path(run_dir)
    student = config.student
    started = time.perf_counter()
    if progress:  # the model as the refusals name it: "embed on use-multilingual", no list
        tqdm.write(f"distilling the run's student ({_model_words(student.model)}) into "
                   f"{run_dir / STUDENT}",
                   file=sys.stderr)  # progress, with the bars: stdout holds the results
    try:
        distill(run_dir, student_run_config(config), run_dir / STUDENT,
                student.hard_weight, progress=progress, speed_rows=0,
                name=f"{name or run_dir.name}-student",
                say=None if say is None else lambda line: say(in_train_words(line)))
    except Exception as exc:  # noqa: BLE001 (whatever the student does, the teacher run stays)
        block = {"error": one_line_reason(exc), "seconds": round(time.perf_counter() - started, 2)}
        _record_failure(run_dir, block)
        return block
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: the run is whole; say why it has no student
        block = {"error": "interrupted (Ctrl-C or SIGTERM) while the student was distilled",
                 "seconds": round(time.perf_counter() - started, 2)}
        _record_failure(run_dir, block)
        # one stopped once in place, before the run listed it, stays there unused (student_dir)
        left = ("the one left in place is not used" if (run_dir / STUDENT).exists()
                else "the unfinished one was removed")
        raise StudentInterrupted(
            f"interrupted while the student was distilled: the run {run_dir} is complete and "
            f"kept, without a student ({left}); "
            f"`{distill_command(run_dir, run_dir / STUDENT, student.hard_weight)}` gives "
            "it one (the config's student.hard_weight, which distill does not read)",
            run_dir) from None
    return Run.open(run_dir).metrics()["student"]


def _record_failure(run_dir: Path, block: dict) -> None:
    """metrics.json and report.html say why the run has no student, both or neither."""
    run = Run.open(run_dir)
    RunWriter.finished(run.path).update_metrics(lambda metrics: metrics.update(student=block),
                                                     report=True)
