"""Distillation: a small, fast student run trained on a teacher's out-of-fold probabilities.

The teacher is a finished run or ensemble directory; its OOF probability for each training row
becomes the row's soft target, mixed with the hard label:
`soft_label = hard_weight·label + (1 − hard_weight)·teacher_probability`. The student trains on
the teacher's own folds (folds.parquet), so teacher and student OOF figures are measured on the
same rows with the same splits, and writes an ordinary run directory (predict, serve, report and
ensemble accept it); metrics.json gains a `distillation` block: the teacher, the mix, teacher vs
student OOF AUC/F1, and both models' scoring speed measured on the same rows
(speed_compare.py).

Leak caveat: the student's OOF estimate is slightly optimistic. The teacher's OOF probability for
a row in fold g came from the teacher's fold-g model, which was trained on every other fold,
including fold f, where the student validates. So when the student's fold-f model fits fold g's
soft targets it learns a little about fold f's labels through the teacher. Hard labels leak
nothing; the smaller hard_weight, the more the soft targets carry. On qc_real a fast student
distilled from its own fast run gained OOF AUC 0.68 → 0.74 (hard_weight 0.3): all leak.
`nested=True` removes it: for student fold f the teacher is refitted (from its run config, or
each member's for a mean/weighted ensemble) without fold f, so each fold's soft targets never
saw that fold's labels; it costs k·(k−1)/2 teacher fits per member (the refit without folds f
and g serves student folds f and g alike: same rows, config, seed and start). Pairs the teacher
scores for `unlabeled` come from its final model, which saw every fold: they leak the validation
folds' labels into the student's OOF figures, nested or not, at any hard weight. Each refit starts
from the teacher's stage-0 model, as its own fits did, when that learnt none of this file's rows: it
was fitted on the other task's file, or on a file of this task, still there as it was, that
shares no (query, target) pair with this one; one that may hold this file's rows is not
reused (nested_stage0.py). The final student model always learns the teacher's OOF
probabilities (no estimate depends on it).
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import yaml

from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.records import require_file
from shoprel.data.tasks import teacher_task
from shoprel.data.validate import id_in_file
from shoprel.errors import ConfigError, InputError, OutputError, RunDirError
from shoprel.evaluate.console import all_relevant_entry
from shoprel.models.targets import SOFT_LABEL, mix_targets, require_row_targets
from shoprel.predict.translators import check_one_translator
from shoprel.run.data import data_block
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, FOLDS, OOF, STUDENT, shown
from shoprel.run.metrics_file import lists_student, read_metrics
from shoprel.run.train_file import (
    NAME_WITH_TRAIN,
    STAGE0,
    TrainingPlace,
    check_rows,
    training_file_task,
    training_place,
)
from shoprel.run.writer import RunWriter
from shoprel.training.config import FoldsConfig, RunConfig
from shoprel.training.config_inputs import check_inputs_outside
from shoprel.training.config_reading import load_config
from shoprel.training.defaults import DEFAULT_HARD_WEIGHT, SPEED_ROWS
from shoprel.training.nested_stage0 import nested_start, stage0_places
from shoprel.training.runner import TrainResult, check_augment_cache, train
from shoprel.training.speed_compare import compare_speed, untimed_teacher
from shoprel.training.unlabeled import (
    BARE,
    EMPTY,
    LEFT_OUT,
    adding,
    read_unlabeled,
    teacher_scored,
)
from shoprel.utils.bounds import out_of_range
from shoprel.utils.output_stamp import is_written_for
from shoprel.utils.outputs import check_output_dir
from shoprel.utils.progress import progress_bar, report_step, steps_on

# why a student's OOF figures are optimistic: each cause its caveat names
SOFT_TARGETS_LEAK = ("the teacher OOF probability of a training row came from a teacher model "
                     "that saw the student's validation rows")
UNLABELED_LEAK = ("its teacher-scored pairs (--unlabeled) came from the teacher's final model, "
                  "which saw the student's validation rows")
OPTIMISTIC = "student OOF is optimistic: "
LEAK_CAVEAT = f"{OPTIMISTIC}{SOFT_TARGETS_LEAK} (distill --nested makes them honest)"
UNLABELED_CAVEAT = (f"{OPTIMISTIC}{UNLABELED_LEAK} (neither nested nor hard_weight 1.0 changes "
                    "that)")
# both at once (--unlabeled below --hard-weight 1 without --nested): named together, where the
# caveat named the pairs alone and its advice mended only them
BOTH_CAVEAT = (f"{OPTIMISTIC}{SOFT_TARGETS_LEAK}, and {UNLABELED_LEAK} (distill --nested or "
               "--hard-weight 1.0 makes the soft targets honest, not the pairs: honest ones "
               "need a student without --unlabeled too)")
NESTED_NOTE = ("each student fold's soft targets come from teacher models refitted without "
               "that fold: its OOF figures are honest")
NESTED_AT_ONE = ("at --hard-weight 1 every labelled row's target is its label, which the "
                 "teacher's refits would not change; drop --nested, or give --hard-weight below 1")
# said before the work: the teacher then lends the student its folds and figures to compare, no
# target (the labelled rows' are their labels; teacher-scored pairs come with --unlabeled alone)
TEACHES_NOTHING = ("--hard-weight 1 without --unlabeled: every target is the row's 0/1 label, so "
                   "the teacher teaches the student nothing (it lends its folds and its figures "
                   "to compare)")
LABELS_NOTE = ("hard_weight 1.0: the student learnt the labels alone, so its OOF figures are as "
               "honest as the teacher's")


def oof_leaks(hard_weight: float, nested: bool, unlabeled: bool) -> tuple[bool, bool]:
    """Which causes make the student's OOF figures optimistic: (soft targets from a teacher
    that saw the validation folds, teacher-scored --unlabeled pairs); either, both or none."""
    return hard_weight < 1.0 and not nested, unlabeled


def oof_caveat(hard_weight: float, nested: bool, unlabeled: bool) -> str:
    """What the student's OOF figures are worth, naming every cause that makes them
    optimistic (oof_leaks); the labels alone, or nested soft targets, do not."""
    soft, pairs = oof_leaks(hard_weight, nested, unlabeled)
    if soft and pairs:
        return BOTH_CAVEAT
    if pairs:
        return UNLABELED_CAVEAT
    if soft:
        return LEAK_CAVEAT
    return LABELS_NOTE if hard_weight >= 1.0 else NESTED_NOTE


@dataclass
class Teacher:
    run: Run
    train_file: Path
    oof: pd.DataFrame  # id, fold, probability, label
    folds: pd.DataFrame  # id, fold
    place: TrainingPlace | None = None  # where train_file was found (named with --train?)
    # where the stage-0 file of a run behind it was named (--stage0-train), by the run's folder
    stage0: dict[Path, TrainingPlace] = field(default_factory=dict)


def open_teacher(teacher_dir: str | Path, train: str | Path | None = None,
                 stage0_train: str | Path | None = None) -> Teacher:
    """The run, its training file (`train`: its new place where it has moved, checked to be
    the same data: run/train_file.py), its stage-0 file's where named (`stage0_train`, checked
    alike: stage0_places) and its OOF and folds tables."""
    run = Run.open(teacher_dir)
    place = training_place(run, train)
    stage0 = stage0_places(run, stage0_train)
    oof = run.oof()
    folds = run.folds()
    for name, table in ((OOF, oof), (FOLDS, folds)):
        if table["id"].duplicated().any():
            raise RunDirError(f"{shown(run.path)}: {name} repeats ids; cannot align it "
                              "with the rows")
    return Teacher(run, place.path, oof, folds, place, stage0)


def teacher_folds_config(run: Run) -> FoldsConfig | None:
    """The folds section the teacher was trained with (an ensemble's: its first member's, whose
    folds every member shares), read from its config.yaml; None where that cannot tell."""
    try:
        while run.kind == "ensemble":
            run = Run.open(run.member_dirs()[0])
        saved = yaml.safe_load((run.path / CONFIG).read_text(encoding="utf-8"))
        return FoldsConfig.model_validate(saved["folds"])
    except Exception:  # noqa: BLE001 (an older or damaged config: the note is then said)
        return None


def aligned_to_rows(frame: PairFrame, table: pd.DataFrame, column: str,
                    teacher: Teacher) -> np.ndarray:
    """table[column] in the frame's row order; every row and no other must be in the table
    (the run's OOF or folds table against the file it was trained on)."""
    ids = frame.df["id"].astype(str)
    values = table.assign(id=table["id"].astype(str)).set_index("id")[column]
    missing = ~ids.isin(values.index)
    if missing.any() or len(values) != len(frame):
        first = (id_in_file(teacher.train_file, frame.df["id"][missing].iloc[0])
                 if missing.any() else None)  # as the file writes it: "00005", not 5
        raise RunDirError(
            f"{shown(teacher.run.path)}: its rows do not match {teacher.train_file} "
            f"({len(values)} run rows, {len(frame)} file rows, {int(missing.sum())} not in "
            "the run"
            + (f", e.g. id {first!r}" if first is not None else "")
            + "): was the file changed since the run was trained, or does the config's "
              "data.empty_text differ?")
    return values.loc[ids].to_numpy()


def check_rows_unchanged(frame: PairFrame, teacher: Teacher) -> None:
    """The file's rows must be those the run was trained on: its OOF table keeps each id's
    query, target and label, so a file edited since (same ids, other labels or texts) is one
    RunDirError instead of figures computed from rows the run never saw."""
    oof = teacher.oof
    for column in ("query", "target", "label"):
        if column not in oof.columns:
            return  # an older run's table: the ids alone are checked
    kept = {column: aligned_to_rows(frame, oof, column, teacher)
            for column in ("query", "target", "label")}
    same_label = np.isclose(np.asarray(kept["label"], np.float64),
                            frame.df["label"].to_numpy(np.float64))
    same_text = ((frame.df["query"].astype(str).to_numpy() == kept["query"].astype(str))
                 & (frame.df["target"].astype(str).to_numpy() == kept["target"].astype(str)))
    changed = ~(same_label & same_text)
    if changed.any():
        first = id_in_file(teacher.train_file, frame.df["id"].tolist()[int(np.argmax(changed))])
        raise RunDirError(f"{shown(teacher.run.path)}: {int(changed.sum())} row(s) of "
                          f"{teacher.train_file} differ from those the run was trained on "
                          f"(label, query or target; e.g. id {first!r}): the file was changed "
                          f"since; name the file it was trained on with {NAME_WITH_TRAIN}")


def student_config(config: RunConfig | str | Path, teacher: Teacher, k: int) -> RunConfig:
    """The student's config on the teacher's task and number of folds."""
    if not isinstance(config, RunConfig):
        config = load_config(config)
    task = teacher.run.task.value
    if config.data.task not in (None, task):
        raise ConfigError(f"data.task: the student config asks for {config.data.task}, the "
                          f"teacher was trained on {task}")
    require_row_targets(config.model.family, "a distilled student")
    return config.model_copy(update={"data": config.data.model_copy(update={"task": task}),
                                     "folds": config.folds.model_copy(update={"k": k}),
                                     "student": None})  # a student carries none of its own


class TeacherModel(NamedTuple):
    """One model the teacher averages, as its nested refits rebuild it."""

    config: RunConfig
    weight: float
    start_from: Path | None = None  # the run's stage-0 model, when the refits reuse it
    stage0: str | None = None  # what became of the run's stage 0 (None: it had none)
    run: Run | None = None  # the run whose config.yaml it is: its refits' errors name it

    def config_named(self):
        """A key of the model's config found wrong as it is refitted (its backbone changed
        since the run's stage 0 was trained) said at the line of its run's config.yaml, not
        of the student's config, whose line distill gives other config errors."""
        return self.run.config_named() if self.run is not None else contextlib.nullcontext()

    def check_cache(self, out_dir: str | Path, train_file: Path) -> None:
        """Refuse, before any refit, a model whose augment.cache its refits could not open and
        write, where train refuses it (runner.check_augment_cache): inside the student's
        out_dir (the refits made that folder, or wrote into the run there, and the student's
        train then refused it as taken or not shoprel's, its refits' minutes lost), inside
        another run (its next --overwrite then refused the cache as not shoprel's), the
        training file `train_file`, a file that is no translation cache. Its run recorded it;
        it may have become any of these since. Said at its run's config line, not as a bare
        path the user never gave distill, and that the way to another cache is that line:
        'keep the cache outside it' alone left the user to guess where the refits took the
        path from."""
        try:
            check_augment_cache(self.config, train_file, Path(out_dir))
        except (InputError, OutputError) as exc:
            edit = ("; to name another, edit this line of the run's config.yaml"
                    if self.run is not None else "")
            with self.config_named():
                raise ConfigError(f"augment.cache (the --nested refits of this run write "
                                  f"their translations there): {exc}{edit}") from None

    def check_backbones(self) -> None:
        """Refuse, before any refit, a model whose backbone changed since its run was trained
        (Run.check_backbones), at its run's config line: refitted on other weights, the
        teacher the student learns from would not be the one its block records."""
        if self.run is not None:
            with self.config_named():
                self.run.check_backbones()


def teacher_specs(teacher: Teacher, rows: PairFrame) -> list[TeacherModel]:
    """Each model the teacher averages: itself, or its members; `rows`: its training file's
    (whether a member's stage 0 learnt any of them, nested_start)."""
    return _run_specs(teacher.run, 1.0, teacher.train_file, rows, teacher.stage0)


def _run_specs(run: Run, weight: float, rows_file: Path, rows: PairFrame,
               stage0: dict[Path, TrainingPlace]) -> list[TeacherModel]:
    """A member that is an ensemble itself gives its members, their weights scaled by its own
    (its config.yaml records a combination, not a model to refit)."""
    if run.kind != "ensemble":
        config = refit_config(run)
        return [TeacherModel(config, weight, *nested_start(run, config, rows_file, rows,
                                                            stage0.get(run.path.resolve())),
                             run=run)]
    from shoprel.ensemble.combiners import COMBINERS

    combination = run.manifest.get("combination", {})
    averaging = [name for name, cls in COMBINERS.items() if cls.averages_members]
    if combination.get("method") not in averaging:
        raise ConfigError(f"nested distillation refits a teacher ensemble's members and "
                          f"averages them: the method of {shown(run.path)} must be "
                          f"{' or '.join(averaging)}, not {combination.get('method')!r}")
    return [spec for member, w in zip(run.member_dirs(), combination["weights"], strict=True)
            for spec in _run_specs(Run.open(member), weight * float(w), rows_file, rows,
                                   stage0)]


def refit_config(run: Run) -> RunConfig:
    """A trained run's config as its refits train (runs/a/config.yaml, not runs/ens/../a/
    config.yaml): its translated copies tagged as its metrics.json recorded them, pt for a
    {pt-BR: es} run trained before copies were tagged pt-BR (AugmentConfig.tagged_as)."""
    config = run.saved_config()
    if not config.augment.translate:
        return config
    recorded = data_block(run.metrics()).get("translated_rows")
    return config.model_copy(update={"augment": config.augment.tagged_as(recorded)})


def check_nested_refits(teacher: Teacher, labels: np.ndarray, folds: np.ndarray) -> None:
    """Before any refit: each trains without two folds, which may hold every row of a label
    the teacher's own fits (without one fold) still had; its model could not be fitted
    (a ValueError's traceback after the refits before it). One line naming the folds."""
    k = int(folds.max()) + 1
    for f in range(k):
        for g in range(f + 1, k):
            kept = labels[(folds != f) & (folds != g)]
            for label in sorted(set(np.unique(labels).tolist()) - set(np.unique(kept).tolist())):
                count = int(np.sum(labels == label))
                raise ConfigError(
                    f"--nested: the teacher refit without folds {f} and {g} of "
                    f"{shown(teacher.run.path)} would train on {len(kept):,} row(s) of one "
                    f"label: all {count} row(s) labelled {label} of {teacher.train_file} fall "
                    f"into those two folds; give more rows labelled {label}, or distill "
                    "without --nested")


def nested_teacher(teacher: Teacher, frame: PairFrame, folds: np.ndarray,
                   progress: bool = True,
                   models: list[TeacherModel] | None = None) -> dict[int, np.ndarray]:
    """Per student fold f: teacher probabilities for every other fold's rows, each from teacher
    models fitted without fold f and without the row's own fold (NaN on fold f's rows); each
    refit starts where the teacher's fits did (nested_start). `models`: teacher_specs(teacher),
    when already made.

    Student fold f's refit without fold g and student fold g's without fold f train on the
    same rows with the same config, seed and start: one refit per pair of folds scores both
    (fold g's rows for student f, fold f's for student g), k(k-1)/2 refits per model, not
    k(k-1)."""
    from shoprel.training.runner import new_model, training_sides

    # one training side per model, made once, and one translator (augment.translate) per
    # backend the models read: it hears each distinct query once for all k(k-1)/2 refits of
    # every member, not once per refit nor per member; each is closed (augment.cache's
    # connection) once the refits are done
    specs = teacher_specs(teacher, frame) if models is None else models
    for spec in specs:  # a teacher's refits resolve its backbone anew (embed, cross, llm...)
        spec.check_backbones()
    with training_sides([spec.config for spec in specs], False, frame) as made:
        sides = list(zip(specs, made, strict=True))
        k = int(folds.max()) + 1
        out = {f: np.full(len(frame), np.nan) for f in range(k)}
        pairs = list(itertools.combinations(range(k), 2))
        bar = progress_bar(pairs, desc="nested teacher", disable=not progress)
        for f, g in bar:
            fit = np.flatnonzero((folds != f) & (folds != g))
            # student fold → the rows this refit scores for it: the other left-out fold's
            scored = {f: np.flatnonzero(folds == g), g: np.flatnonzero(folds == f)}
            for student, score in scored.items():
                out[student][score] = 0.0
            total = 0.0
            for i, (spec, side) in enumerate(sides):
                # each refit's steps, as train's folds bar names a fold's (minutes each)
                member = f", model {i + 1}/{len(sides)}" if len(sides) > 1 else ""
                # shorter forms keep the step's trees counted at 80 columns
                prefixes = (f"without folds {f} and {g}{member}: ",
                            f"without {f},{g}{member}: ", f"w/o {f},{g}{member}: ")
                with steps_on(bar, prefixes, first="fitting"):
                    rows = side(frame.take(fit))
                    with spec.config_named():
                        model = new_model(spec.config, spec.start_from).fit(rows)
                    report_step("scoring held-out rows")
                    for student, score in scored.items():
                        out[student][score] += (spec.weight
                                                * model.predict_proba(frame.take(score))[:, 1])
                total += spec.weight
            for student, score in scored.items():
                out[student][score] /= total
    return out


def nested_soft_labels(frame: PairFrame, folds: np.ndarray, per_fold: dict[int, np.ndarray],
                       hard_weight: float):
    """fit_rows hook: a fold's training rows get that fold's nested soft targets; the final
    fit (every fold present) keeps the teacher's OOF ones."""
    position = pd.Series(np.arange(len(frame)), index=frame.df["id"].astype(str))
    k = int(folds.max()) + 1

    def apply(rows: PairFrame) -> PairFrame:
        at = position.loc[rows.df["id"].astype(str)].to_numpy()
        absent = set(range(k)) - set(folds[at].tolist())
        if len(absent) != 1:
            return rows
        teacher_p = per_fold[absent.pop()][at]
        out = rows.take(np.arange(len(rows)))
        out.df[SOFT_LABEL] = mix_targets(rows.labels, teacher_p, hard_weight)
        return out

    return apply


def _oof_figures(metrics: dict) -> dict:
    """A run's OOF figures for the distillation block; the share it calls relevant tells an F1
    that is only the all-positive answer's (a student that learnt nothing, cut at 0.12, came
    out 0.0047 above its teacher's F1)."""
    overall = metrics["overall"]
    return {"f1": overall["f1"], "roc_auc": overall["roc_auc"],
            "threshold": metrics.get("threshold"),
            "far_pairs_called_relevant": (metrics.get("far_pairs") or {}).get("called_relevant"),
            "predicted_positive_rate": overall.get("predicted_positive_rate")}


def distill(teacher_dir: str | Path, config: RunConfig | str | Path | None,
            out_dir: str | Path, hard_weight: float = DEFAULT_HARD_WEIGHT,
            overwrite: bool = False, progress: bool = True, name: str | None = None,
            speed_rows: int = SPEED_ROWS, nested: bool = False,
            unlabeled: Sequence[str | Path] = (),
            say: Callable[[str], None] | None = None,
            train_file: str | Path | None = None,
            stage0_train: str | Path | None = None) -> TrainResult:
    """Train the student described by `config` (None: the one the teacher's config names,
    student.named_student) on the teacher's OOF probabilities (nested: honest OOF figures at
    k·(k−1)/2 teacher refits, see the module docstring);
    `unlabeled`: pair files the teacher scores for the student to learn too (unlabeled.py);
    `say`: hears a note once the checks pass, before any work (the CLI prints it);
    `train_file`: the teacher's training file's new place, where it has moved (--train);
    `stage0_train`: its stage-0 file's, which the nested refits read (--stage0-train)."""
    problem = out_of_range(hard_weight, ge=0, le=1)
    if problem:
        raise ConfigError(f"--hard-weight: {problem}")
    if nested and hard_weight >= 1.0:  # k·(k−1)/2 teacher fits whose scores no target takes
        raise ConfigError(f"--nested: {NESTED_AT_ONE}")
    if stage0_train is not None and not nested:
        raise ConfigError(f"{STAGE0.option}: only the refits of --nested read the teacher's "
                          f"stage-0 file; add --nested or drop {STAGE0.option}")
    # before the (long) nested teacher fits; the student may not replace its teacher, but may
    # be the one it carries (RUN/student: the teacher's metrics and stamp then record it)
    started = time.perf_counter()
    carried = is_carried(teacher_dir, out_dir)
    # a student an earlier distill here left unrecorded (stopped before the teacher listed
    # it) is this command's to replace; any other folder there still needs --overwrite
    overwrite = overwrite or (carried and left_unrecorded(teacher_dir, out_dir))
    # a teacher ensemble reads its members: --overwrite may not replace one of them either
    named = [*unlabeled, *([] if stage0_train is None else [stage0_train])]
    check_output_dir(out_dir, overwrite, reads=named if carried else
                     [*Run.open(teacher_dir).folders_read(), *named],
                     inside=teacher_dir if carried else None)
    for path in unlabeled:  # before the teacher is opened; read whole below, before it loads
        require_file(Path(path), "--unlabeled")
    teacher = open_teacher(teacher_dir, train_file, stage0_train)
    if nested or unlabeled:  # an ensemble made before `shoprel ensemble` refused the mix
        check_one_translator(teacher.run, "full", "the teacher's refits and its scoring of "
                             "unlabelled pairs give all of them one translated_query column: "
                             "distil from the runs apart")
    k = int(teacher.folds["fold"].max()) + 1
    if nested and k < 3:  # each refit leaves out two folds: of two, nothing is left to fit
        raise ConfigError(f"--nested: {shown(teacher.run.path)} has {k} folds; a nested "
                          "refit trains without the student's fold and the row's own, which "
                          "leaves no rows: give a teacher of at least 3 folds")
    if config is None:  # no --student: the one the teacher's config names (train --student's)
        from shoprel.training.student import named_student  # (it imports this)

        config = named_student(teacher.run)
    elif not isinstance(config, RunConfig):
        config = load_config(config)
    # the student is measured on the teacher's very folds: a config's own are not used, which
    # is said only where they differ (a preset such as configs/embed-use.yaml spells the defaults)
    ignored = ([f"the student config's folds (k {config.folds.k}, seed {config.folds.seed}) "
                f"are not used: a student is cross-validated on its teacher's {k} folds"]
               if "folds" in config.model_fields_set
               and config.folds != teacher_folds_config(teacher.run) else [])
    if config.student is not None:  # dropped by student_config: said, as the folds are
        ignored.append("the student config's student section is not used: a distilled "
                       "student carries no student of its own")
    config = student_config(config, teacher, k)
    # what the student config names to read (its backbone, a stage-0 file), refused inside
    # out_dir now, not once the nested refits are done (runner.train checks it again)
    check_inputs_outside(config, out_dir, "distill")
    # and the translation cache it writes (augment.cache), refused inside out_dir as train
    # refuses it, only there once the teacher's refits (or its scoring of --unlabeled) ran
    check_augment_cache(config, teacher.train_file, Path(out_dir))
    from shoprel.training.student import (  # (it imports this)
        check_distilled_student_differs,
        is_teachers_model,
        own_model_note,
    )

    check_distilled_student_differs(teacher.run.path, config, hard_weight,
                                    adds_pairs=bool(unlabeled))
    if say is not None and hard_weight < 1.0 and not unlabeled \
            and is_teachers_model(teacher.run.path, config):
        say(own_model_note(teacher.run.path, config))  # before the work, as the measure says
    # the speed comparison loads the teacher, which the student's targets (its OOF table) do
    # not need: a teacher that cannot score now is found now and not timed (an LLM's changed
    # backbone failed the distill there, exit 2, once the student was written)
    speed_skipped = untimed_teacher(teacher.run.path) if speed_rows > 0 else None
    # both load the teacher's models, once the student is written or the refits are done: a
    # model folder that will not load (a booster cut short) is refused now, before the work
    if (speed_rows > 0 and speed_skipped is None) or unlabeled:
        teacher.run.check_models_load()
    frame = read_pairs(teacher.train_file, task=teacher.run.task, require_label=True,
                       empty_text=config.data.empty_text,
                       given_by=training_file_task(teacher.run))
    check_rows_unchanged(frame, teacher)
    unchecked = check_rows(teacher.run, teacher.place, frame.stats)
    if unchecked is not None and say is not None:
        say(unchecked)
    # read from a place named with --train: what the teacher recorded, and how it was checked
    moved = None if teacher.place.recorded is None else {
        "recorded": teacher.place.recorded, "read": str(teacher.train_file.resolve()),
        "checked": unchecked or "its SHA-256 is the one the teacher records"}
    # read and checked whole before any model loads (the teacher, its refits): a bad file is
    # told in seconds, not once the teacher's encoder has loaded or its refits have run
    unlabeled_pairs = read_unlabeled(
        unlabeled, teacher.run.task, config.data.empty_text, progress,
        training_pairs=set(zip(frame.df["query"].astype(str), frame.df["target"].astype(str),
                               strict=True)),
        given_by=teacher_task(teacher.run.task, shown(teacher.run.path))
    ) if unlabeled else None
    teacher_p = aligned_to_rows(frame, teacher.oof, "probability", teacher).astype(np.float64)
    folds = aligned_to_rows(frame, teacher.folds, "fold", teacher).astype(np.int64)
    fit_rows, stage0_notes = None, []
    if nested:
        check_nested_refits(teacher, frame.labels, folds)
        models = teacher_specs(teacher, frame)
        for spec in models:
            spec.check_cache(out_dir, teacher.train_file)
        stage0_notes = [spec.stage0 for spec in models if spec.stage0 is not None]
        for spec in models:  # before the refits (hours): a moved stage-0 file can be named
            if spec.stage0 is not None and spec.start_from is None and say is not None:
                say(spec.stage0)
        per_fold = nested_teacher(teacher, frame, folds, progress, models)
        fit_rows = nested_soft_labels(frame, folds, per_fold, hard_weight)
    frame.df[SOFT_LABEL] = mix_targets(frame.labels, teacher_p, hard_weight)
    teacher_metrics = teacher.run.metrics()
    extra_rows = None
    if unlabeled_pairs is not None:
        extra_rows = teacher_scored(teacher.run.path, unlabeled_pairs, progress)
        add = adding(extra_rows)
        fit_rows = add if fit_rows is None else (lambda rows, f=fit_rows: add(f(rows)))

    def block(metrics: dict) -> dict:
        return {"distillation": {
            "teacher": {"path": str(teacher.run.path.resolve()), "name": teacher.run.name,
                        "kind": teacher.run.kind,
                        "model_family": teacher.run.manifest.get("model_family")},
            "hard_weight": hard_weight,
            "soft_label": "hard_weight * label + (1 - hard_weight) * teacher OOF probability",
            "folds": f"the teacher's ({k} folds)",
            "teacher_oof": _oof_figures(teacher_metrics),
            "student_oof": _oof_figures(metrics),
            **all_relevant_entry(_oof_figures(metrics)),
            "nested": nested,
            **({} if moved is None else {"moved_train_file": moved}),
            # the stage-0 file the refits read where the run records another (--stage0-train)
            **({} if stage0_train is None else {
                "moved_stage0_file": {"read": str(Path(stage0_train).resolve())}}),
            **({"nested_stage0": stage0_notes} if stage0_notes else {}),
            "caveat": oof_caveat(hard_weight, nested, extra_rows is not None),
            **({"ignored": ignored} if ignored else {}),
            **({"speed_skipped": speed_skipped} if speed_skipped else {}),
            "oof_optimistic": any(oof_leaks(hard_weight, nested, extra_rows is not None)),
            **({} if extra_rows is None else {"unlabeled": {
                "files": [str(Path(f).resolve()) for f in unlabeled],
                "rows": len(extra_rows),
                "left_out": {
                    "teacher_training_pairs": extra_rows.stats[LEFT_OUT]["training_pairs"],
                    "repeated_pairs": extra_rows.stats[LEFT_OUT]["repeated_pairs"]},
                "bare_query": extra_rows.stats[BARE],
                # file -> its rows with an empty text (kept or dropped by data.empty_text)
                "empty_texts": extra_rows.stats[EMPTY],
                "note": "teacher-scored pairs join every fit's training side, never a "
                        "validation fold; the teacher's final model scored them; pairs "
                        "of the teacher's training rows and repeated pairs are left out"}}),
        }}

    result = train(teacher.train_file, out_dir, config, overwrite=overwrite, progress=progress,
                   name=name, frame=frame, folds=folds, extra_metrics=block, fit_rows=fit_rows,
                   inside=teacher_dir if carried else None,
                   written_for=teacher_dir if carried else None)
    if speed_rows > 0 and speed_skipped is None:
        speed = compare_speed(teacher.run.path, result.run_dir, frame, speed_rows)
        result.metrics["distillation"]["speed"] = speed
        RunWriter.finished(result.run_dir).metrics(result.metrics)
    if carried:
        record_carried(teacher.run, result, time.perf_counter() - started)
    return result


def is_carried(teacher_dir: str | Path, out_dir: str | Path) -> bool:
    """Whether the student goes where its teacher carries one (RUN/student)."""
    return Path(out_dir).resolve() == (Path(teacher_dir) / STUDENT).resolve()


def left_unrecorded(teacher_dir: str | Path, out_dir: str | Path) -> bool:
    """Whether RUN/student is a student written for this teacher (its stamp says so) that the
    teacher's metrics.json does not list: a distill stopped between moving it in place and
    recording it. Its rerun replaces it, as it would a half-written one."""
    if not is_written_for(out_dir, teacher_dir):
        return False
    try:
        metrics = read_metrics(Path(teacher_dir))
    except RunDirError:
        return False  # the teacher is refused with its own line later
    return not lists_student(metrics)


def carried_summary(result: TrainResult, seconds: float) -> dict:
    """The teacher's metrics.json "student" block: where, what, both OOF figures, and the
    student's own notes (`caveat`; `all_relevant` where it calls every row relevant), as its
    distillation block words them."""
    block = result.metrics["distillation"]
    model = result.metrics["model"]
    return {"folder": STUDENT, "family": model["family"],
            "backbone": model["params"].get("backbone"), "hard_weight": block["hard_weight"],
            "student_oof": block["student_oof"], "teacher_oof": block["teacher_oof"],
            **({"all_relevant": block["all_relevant"]} if "all_relevant" in block else {}),
            "seconds": round(seconds, 2),
            "caveat": block["caveat"]}


def record_carried(teacher: Run, result: TrainResult, seconds: float) -> None:
    """The teacher lists its student: in its stamp (so --overwrite knows the folder as
    shoprel's), its metrics.json and its report, each file rewritten atomically; the report
    is rendered before either is written, so a stop leaves both saying the same."""
    from shoprel.utils.atomic import add_to_stamp

    add_to_stamp(teacher.path, STUDENT)
    summary = carried_summary(result, seconds)
    RunWriter.finished(teacher.path).update_metrics(
        lambda metrics: metrics.update(student=summary), report=True)
