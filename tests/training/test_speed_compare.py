"""distill's speed-up: timed over passes adding up to a second per model, or left unsaid."""

import pytest

from shoprel.cli.distill import speed_line
from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.training import speed_compare
from shoprel.training.speed_compare import compare_speed, speed_block, time_passes


class Clock:
    """A clock that moves only when a stub scorer says its pass took so long."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def scorer(clock, seconds):
    """A scorer whose passes take `seconds` in turn (the last one repeated); counts its calls."""
    calls = []

    def score():
        clock.now += seconds[min(len(calls), len(seconds) - 1)]
        calls.append(1)
    score.calls = calls
    return score


def test_each_model_is_timed_until_its_passes_add_up_to_a_second():
    clock = Clock()
    teacher, student = scorer(clock, [0.25]), scorer(clock, [0.125])
    seconds = time_passes({"teacher": teacher, "student": student}, clock)
    assert seconds == {"teacher": [0.25] * 4, "student": [0.125] * 8}
    assert len(teacher.calls) == 5 and len(student.calls) == 9  # one untimed pass each

    # a big teacher whose one pass lasts a second and a half is timed once, not for minutes
    clock = Clock()
    big = scorer(clock, [1.5])
    seconds = time_passes({"teacher": big, "student": scorer(clock, [0.125])}, clock)
    assert seconds["teacher"] == [1.5] and len(big.calls) == 2
    assert seconds["student"] == [0.125] * 8


def test_a_single_sub_second_pass_does_not_make_the_ratio():
    """The student's first timed pass is slow (the machine busy): one pass, as distill timed
    before, said 0.1x; the passes of a second in all say 2x, what each pass but one says."""
    clock = Clock()
    seconds = time_passes({"teacher": scorer(clock, [0.05, 0.05]),
                           "student": scorer(clock, [0.025, 0.5, 0.025])}, clock)
    assert seconds["teacher"][0] / seconds["student"][0] == pytest.approx(0.1)
    block = speed_block(360, seconds["teacher"], seconds["student"])
    assert block["speed_up"] == 2.0 and block["speed_up_range"] == [2.0, 2.0]
    assert block["teacher"] == {"rows": 360, "seconds": 0.05, "pairs_per_second": 7200.0,
                                "passes": 20, "timed_seconds": 1.0}
    assert block["student"]["passes"] == 22 and block["student"]["pairs_per_second"] == 14400.0
    assert "speed_up_unknown" not in block


def test_too_quick_to_time_is_said_not_a_ratio():
    clock = Clock()
    seconds = time_passes({"teacher": scorer(clock, [0.002]),
                           "student": scorer(clock, [0.001])}, clock)
    assert len(seconds["teacher"]) == len(seconds["student"]) == speed_compare.MAX_PASSES
    block = speed_block(360, seconds["teacher"], seconds["student"])
    assert block["speed_up"] is None and "speed_up_range" not in block
    assert block["speed_up_unknown"] == ("too quick to time on 360 pairs: 200 teacher and 200 "
                                         "student passes took 0.40 s and 0.20 s, under 1 s")
    assert speed_line(block) == ("scoring: speed-up not said, too quick to time on 360 pairs: "
                                 "200 teacher and 200 student passes took 0.40 s and 0.20 s, "
                                 "under 1 s")


def test_one_lucky_pass_is_too_noisy_to_say():
    """Every student pass as slow as the teacher's but one five times quicker: the fastest
    passes would say 5x, the passes resampled anywhere in 1x–5x."""
    student = [0.05] * 10 + [0.01] + [0.05] * 10
    block = speed_block(200, [0.05] * 21, student)
    assert block["speed_up"] is None
    assert block["speed_up_unknown"] == ("too noisy to say on 200 pairs: resampling the 21 "
                                         "teacher and 21 student passes puts it anywhere in "
                                         "1.00–5.00x")


def test_compare_speed_times_both_predictors_on_the_same_sample(monkeypatch):
    """Through compare_speed, Predictor stubbed: each scores the same 30 sampled rows, the
    student's slow first timed pass aside, twice as fast as the teacher."""
    import pandas as pd

    clock = Clock()
    seen = {}

    class Stub:
        def __init__(self, run_dir):
            self.name = str(run_dir)
            self.passes = [0.02] if self.name == "teacher" else [0.01, 0.5, 0.01]
            seen[self.name] = []

        def probabilities(self, frame):
            got = seen[self.name]
            clock.now += self.passes[min(len(got), len(self.passes) - 1)]
            got.append(frame.df["id"].tolist())

    monkeypatch.setattr("shoprel.predict.predictor.Predictor", Stub)
    frame = PairFrame(Task.QC, pd.DataFrame({"id": [f"{i:03d}" for i in range(100)],
                                    "soft_label": 0.5}))
    block = compare_speed("teacher", "student", frame, rows=30, clock=clock)
    assert block["speed_up"] == 2.0 and block["teacher"]["rows"] == 30
    ids = {tuple(row) for passes in seen.values() for row in passes}
    assert len(ids) == 1 and len(next(iter(ids))) == 30
