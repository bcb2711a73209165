"""Teacher vs student scoring speed, timed so the ratio distill reports is not noise.

One pass over a few hundred pairs by a fast model lasts ~10 ms: a single pass per model, as
distill once timed, put a fast student of a fast teacher (demo rows) at 1.56x, 2.4x and 2.23x on
the shared 2-core machine, where their fastest passes, timed for a second each, put it at
1.28–1.58x in 20 measurements (load 3–4; the median pass 1.22–1.57x, the 10th percentile
1.04–1.66x). So each model scores the same sample once untimed (models loaded, caches filled:
every timed pass finds what the last one found), then the two take turns, pass by pass (a change
of the machine's load falls on both), until each has been timed for MIN_SECONDS in all (a big
teacher whose pass lasts that long is timed once) or has run MAX_PASSES times. A model's time is
its fastest pass: the one the machine's other work left alone. The ratio is left unsaid, with the
reason, where either model's passes add up to less than MIN_SECONDS (too quick to time on this
many pairs), or where resampling the passes moves it by more than NOISY (the 90% range of
RESAMPLES bootstrap ratios, which the ratio said comes with).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError
from shoprel.models.targets import SOFT_LABEL
from shoprel.run.folder import Run
from shoprel.training.defaults import SPEED_ROWS

MIN_SECONDS = 1.0  # each model's timed passes, in all, before its fastest one is believed
MAX_PASSES = 200  # a model quicker than MIN_SECONDS / MAX_PASSES a pass is "too quick to time"
NOISY = 1.5  # the bootstrap range's top over its bottom above this: too noisy to say
RESAMPLES = 300

NOTE = ("scoring the training file's rows; models loaded and the rows scored once before timing "
        "(an embedding model's cache may already hold these texts); each model's fastest pass")


def time_passes(scorers: dict[str, Callable[[], object]],
                clock: Callable[[], float] = time.perf_counter,
                min_seconds: float = MIN_SECONDS,
                max_passes: int = MAX_PASSES) -> dict[str, list[float]]:
    """Seconds of each timed pass per scorer: one untimed pass each, then turns taken until
    each is timed for `min_seconds` in all or has run `max_passes` times."""
    for score in scorers.values():
        score()
    seconds: dict[str, list[float]] = {name: [] for name in scorers}

    def timing(name: str) -> bool:
        return sum(seconds[name]) < min_seconds and len(seconds[name]) < max_passes

    while any(timing(name) for name in scorers):
        for name, score in scorers.items():
            if timing(name):
                started = clock()
                score()
                seconds[name].append(clock() - started)
    return seconds


def speed_up(teacher: list[float], student: list[float]) -> float:
    """How many times quicker the student's fastest pass is than the teacher's."""
    return min(teacher) / max(min(student), 1e-12)


def speed_up_range(teacher: list[float], student: list[float], seed: int = 0) -> tuple:
    """The 5th and 95th percentiles of the speed-up over the passes resampled (bootstrap)."""
    rng = np.random.default_rng(seed)
    t, s = np.asarray(teacher), np.asarray(student)
    ratios = [speed_up(rng.choice(t, len(t)), rng.choice(s, len(s))) for _ in range(RESAMPLES)]
    low, high = np.percentile(ratios, [5, 95])
    return float(low), float(high)


def unsaid(teacher: list[float], student: list[float], rows: int,
           min_seconds: float = MIN_SECONDS) -> str | None:
    """Why the speed-up these passes give is not to be believed, or None where it is."""
    if min(sum(teacher), sum(student)) < min_seconds:
        return (f"too quick to time on {rows:,} pairs: {len(teacher)} teacher and "
                f"{len(student)} student passes took {sum(teacher):.2f} s and "
                f"{sum(student):.2f} s, under {min_seconds:g} s")
    low, high = speed_up_range(teacher, student)
    if high > NOISY * low:
        return (f"too noisy to say on {rows:,} pairs: resampling the {len(teacher)} teacher and "
                f"{len(student)} student passes puts it anywhere in {low:.2f}–{high:.2f}x")
    return None


def _figures(rows: int, seconds: list[float]) -> dict:
    fastest = min(seconds)
    return {"rows": rows, "seconds": round(fastest, 4),
            "pairs_per_second": round(rows / max(fastest, 1e-9), 1),
            "passes": len(seconds), "timed_seconds": round(sum(seconds), 3)}


def speed_block(rows: int, teacher: list[float], student: list[float]) -> dict:
    """metrics.json's `distillation.speed`: each model's fastest pass (`seconds`), its pairs/s,
    passes and time timed in all; `speed_up` (student over teacher) with its bootstrap
    `speed_up_range` or, where the passes cannot say it, None and `speed_up_unknown` saying
    why."""
    reason = unsaid(teacher, student, rows)
    block = {"teacher": _figures(rows, teacher), "student": _figures(rows, student),
             "speed_up": None if reason else round(speed_up(teacher, student), 2)}
    if reason:
        block["speed_up_unknown"] = reason
    else:
        block["speed_up_range"] = [round(x, 2) for x in speed_up_range(teacher, student)]
    block["note"] = NOTE
    return block


def untimed_teacher(teacher_dir: str | Path) -> str | None:
    """Why the teacher cannot be timed (it cannot score now: a backbone it scores through
    changed or went since training, said at its run's config line), or None where it can;
    found before distill's work, an LLM unloaded. The student learns from the
    teacher's OOF table, written when the teacher was trained, so only its timing is lost."""
    try:
        Run.open(teacher_dir).check_scores_now()
    except ConfigError as exc:
        return f"the teacher cannot score now: {exc}"
    return None


def compare_speed(teacher_dir: str | Path, student_dir: str | Path, frame: PairFrame,
                  rows: int = SPEED_ROWS, seed: int = 0,
                  clock: Callable[[], float] = time.perf_counter) -> dict:
    """Teacher and student scoring the same sample of `rows` rows, taking turns."""
    from shoprel.predict.predictor import Predictor

    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(frame), min(rows, len(frame)), replace=False))
    sample_frame = frame.take(sample)
    sample_frame.df = sample_frame.df.drop(columns=[SOFT_LABEL], errors="ignore")
    teacher, student = Predictor(teacher_dir), Predictor(student_dir)
    seconds = time_passes({"teacher": lambda: teacher.probabilities(sample_frame),
                           "student": lambda: student.probabilities(sample_frame)}, clock)
    return speed_block(len(sample_frame), seconds["teacher"], seconds["student"])
