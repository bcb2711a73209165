import io
import logging
import os
import re
import subprocess
import sys

import pytest
from tqdm import tqdm

from shoprel.utils.progress import (
    bar_wanted,
    bars_allowed,
    honours_progress,
    quiet_libraries,
    quiet_while,
)


@honours_progress
def work(n: int, progress: bool = True) -> str:
    """Stands for a command whose model draws its own bar deep inside."""
    out = io.StringIO()
    for _ in tqdm(range(n), file=out, disable=not bars_allowed()):
        pass
    return out.getvalue()


def test_nested_bars_follow_the_callers_progress_flag():
    assert "3/3" in work(3)
    assert work(3, progress=False) == ""
    assert work(3, False) == ""  # positional too
    assert bars_allowed()  # restored afterwards


def test_quiet_nests_and_restores():
    with quiet_while(True):
        assert not bars_allowed()
        with quiet_while(False):  # an inner call cannot turn bars back on
            assert not bars_allowed()
        assert work(2) == ""
    assert bars_allowed()


def test_the_run_and_predict_entry_points_honour_it():
    from shoprel.predict.predictor import predict_file
    from shoprel.training.runner import train

    assert train.__wrapped__ and predict_file.__wrapped__
    assert train.__doc__.startswith("Train with cross-validation")


def test_a_bar_is_wanted_for_work_only_and_never_under_quiet():
    assert not bar_wanted(0, True, 10)  # an empty stage: no empty bar
    assert bar_wanted(1, True, 10) and not bar_wanted(9, None, 10) and bar_wanted(10, None, 10)
    assert not bar_wanted(10**6, False, 10)
    with quiet_while(True):
        assert not bar_wanted(10**6, True, 10)


def _hf_state():
    from huggingface_hub.utils import are_progress_bars_disabled
    from huggingface_hub.utils import logging as hub_logging
    from transformers.utils import logging as hf_logging

    return (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled(),
            hub_logging.get_verbosity(), are_progress_bars_disabled())


def test_quiet_libraries_silences_transformers_and_the_hub_then_restores(monkeypatch):
    pytest.importorskip("transformers")
    for name in ("TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS"):
        monkeypatch.delenv(name, raising=False)
    before = _hf_state()
    assert before[1] and not before[3]  # bars on, as a library user has them
    st = logging.getLogger("sentence_transformers")
    with quiet_libraries():
        assert _hf_state() == (logging.ERROR, False, logging.ERROR, True)
        assert st.getEffectiveLevel() == logging.ERROR and not bars_allowed()
        assert os.environ["TRANSFORMERS_VERBOSITY"] == "error"  # for a worker started now
    assert _hf_state() == before and st.level == logging.NOTSET and bars_allowed()
    assert "TRANSFORMERS_VERBOSITY" not in os.environ
    with quiet_libraries(False):
        assert _hf_state() == before


def test_progress_false_silences_the_libraries_too(monkeypatch):
    """train(progress=False) from Python drew transformers' loading bars, --quiet did not."""
    pytest.importorskip("transformers")
    for name in ("TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS"):
        monkeypatch.delenv(name, raising=False)
    before = _hf_state()

    @honours_progress
    def load(progress: bool = True):
        return _hf_state()

    assert load(progress=False)[:2] == (logging.ERROR, False)
    assert load() == before == _hf_state()


def test_transformers_imported_inside_starts_quiet_and_ends_as_a_plain_import(tmp_path):
    """The CLI imports transformers only when a model loads, inside the quiet block."""
    pytest.importorskip("transformers")
    code = ("import os\n"
            "from shoprel.utils.progress import quiet_libraries\n"
            "with quiet_libraries():\n"
            "    from transformers.utils import logging as hf\n"
            "    print(hf.get_verbosity(), hf.is_progress_bar_enabled())\n"
            "    hf.get_logger('transformers').warning('a load report')\n"
            "print(hf.get_verbosity(), hf.is_progress_bar_enabled(),\n"
            "      'TRANSFORMERS_VERBOSITY' in os.environ)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["40 False", "30 True False"]
    assert "a load report" not in done.stderr


class RecordingBar:
    """Stands for a tqdm bar: the postfixes it was asked to draw."""

    def __init__(self, disable: bool = False):
        self.disable, self.drawn, self.postfix = disable, [], None

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text
        if refresh:
            self.drawn.append(text)


def test_steps_show_on_the_bar_that_waits_for_them_and_nowhere_else():
    """A fold of the default embed family was minutes of feature blocks and boosters under a
    folds bar that stood still: the steps a fit names show on that bar's line, after its prefix,
    and the postfix is cleared once the fold is done; no bar, a disabled one (--quiet, other
    ranks) or quiet_while: nothing is drawn."""
    from shoprel.utils.progress import report_step, steps_on

    report_step("embedding")  # no bar waits: nothing to draw, no error
    bar = RecordingBar()
    with steps_on(bar, "fold 1: "):
        report_step("neighbour votes")
        report_step("boosters 1/3")
    assert bar.drawn == ["fold 1: neighbour votes", "fold 1: boosters 1/3"]
    assert bar.postfix == ""
    report_step("after the fold")
    assert len(bar.drawn) == 2
    off = RecordingBar(disable=True)
    with steps_on(off, "fold 0: "):
        report_step("neighbour votes")
    quiet = RecordingBar()
    with steps_on(quiet), quiet_while(True):
        report_step("neighbour votes")
    assert off.drawn == quiet.drawn == []


def test_a_fit_names_its_first_step_on_entering_its_steps():
    """Every fit's bar (folds, learning curve, nested teacher, final fit, stage 0) named
    "fitting" by a report_step of its own after steps_on: steps_on names it on entering; a
    disabled bar still draws nothing."""
    from shoprel.utils.progress import report_step, steps_on

    bar = RecordingBar()
    with steps_on(bar, "fold 1: ", first="fitting"):
        assert bar.drawn == ["fold 1: fitting"]
        report_step("boosters 1/3")
    assert bar.drawn == ["fold 1: fitting", "fold 1: boosters 1/3"] and bar.postfix == ""
    off = RecordingBar(disable=True)
    with steps_on(off, first="fitting"):
        pass
    assert off.drawn == []


def drawn_lines(stream) -> list[str]:
    """Each drawing of a tqdm bar written to `stream` (redraws begin with '\\r')."""
    return [line.rstrip() for line in stream.getvalue().replace("\n", "\r").split("\r") if line]


@pytest.mark.parametrize("columns", [None, "120"])
def test_a_log_s_bar_keeps_its_width_and_each_step_whole(monkeypatch, columns):
    """With stderr a log file tqdm knows no width and drew the whole postfix: `cat` of the log
    on an 80-column terminal wrapped each redraw of the nested teacher's bar onto new rows, cut
    mid-word ('without folds 1/3 and 2/3,' then 'model 2/2: boosters 1/3, tr'). Such a line
    keeps to 80 columns ($COLUMNS where set), its counts shortened (no drawn bar, no rate,
    then no time left), then its prefix, before the step's last parts go (the trees counted
    stay), never a word or number in two; afterwards the bar is as it was."""
    import io

    from tqdm.auto import tqdm

    from shoprel.utils.progress import report_step, steps_on

    monkeypatch.delenv("COLUMNS", raising=False)
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    width = int(columns or 80) - 1
    log = io.StringIO()
    bar = tqdm(total=6, desc="nested teacher", file=log, mininterval=0)
    steps = ["fitting", "boosters 1/3, tree 150/400", "boosters 1/3, tree 150/400, " + "x" * 80]
    prefix = "without folds 0 and 1, model 2/2: "
    for _ in range(2):
        with steps_on(bar, prefix):
            for step in steps:
                report_step(step)
        bar.update()
    bar.close()
    lines = drawn_lines(log)
    assert max(len(line) for line in lines) <= width, lines
    named = [line for line in lines if re.match(r"nested teacher: \d/6 \[[^,]*, ", line)]
    postfixes = [line.split(", ", 1)[1][:-1] for line in named]
    allowed = {form + ", ".join(step.split(", ")[:n]) for step in steps for n in (1, 2, 3)
               for form in (prefix, "")}
    assert len(named) == 6 and set(postfixes) <= allowed, lines
    assert all("it/s" not in line and "|" not in line for line in named), named
    if columns:
        assert f"{prefix}boosters 1/3, tree 150/400" in postfixes  # wide enough for both
    else:
        assert "boosters 1/3, tree 150/400" in postfixes  # the trees kept, the prefix gave way
        assert f"{prefix}fitting" in postfixes
    assert bar.ncols is None and bar.bar_format is None
    assert lines[-1].startswith("nested teacher:  33%|")  # as drawn before the steps


def test_at_80_columns_a_logged_folds_bar_keeps_the_fold_beside_the_trees(monkeypatch):
    """At 80 columns a logged folds bar of the embed family dropped 'fold 0: ' while trees
    were counted ('boosters 1/3, tree 150/400' alone): its drawn bar and rate give way."""
    import io

    from tqdm.auto import tqdm

    from shoprel.utils.progress import report_step, steps_on

    monkeypatch.setenv("COLUMNS", "80")
    log = io.StringIO()
    bar = tqdm(total=5, desc="QC folds", file=log, mininterval=0)
    with steps_on(bar, "fold 0: "):
        report_step("boosters 1/3, tree 150/400")
        bar.update()
        report_step("boosters 3/3, tree 350/400")
    bar.close()
    lines = drawn_lines(log)
    assert "QC folds: 0/5 [00:00<?, fold 0: boosters 1/3, tree 150/400]" in lines, lines
    assert "QC folds: 1/5 [00:00<00:00, fold 0: boosters 3/3, tree 350/400]" in lines, lines


def test_a_one_step_bar_is_its_time_and_step(monkeypatch, capsys):
    """The final fit's bar of one step took 50 of 80 columns with an empty bar, '0/1' and
    '?it/s', and its step lost its trees ('booster' for 'booster, tree 111/300'): it says
    whether it is done, its time and its step."""
    from shoprel.training.runner import one_fit_bar
    from shoprel.utils.progress import report_step

    monkeypatch.setenv("COLUMNS", "80")
    with one_fit_bar("QC final fit (2,000 rows)", True):
        report_step("boosters 1/3, tree 150/400")
    lines = [line.rstrip() for line in capsys.readouterr().err.replace("\n", "\r").split("\r")
             if line.strip()]
    assert lines == ["QC final fit (2,000 rows): 0% [00:00]",
                     "QC final fit (2,000 rows): 0% [00:00, fitting]",
                     "QC final fit (2,000 rows): 0% [00:00, boosters 1/3, tree 150/400]",
                     "QC final fit (2,000 rows): 100% [00:00]"]
    with one_fit_bar("QC final fit (2,000 rows)", False):
        report_step("boosters 1/3, tree 150/400")
    assert capsys.readouterr().err == ""


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_s_bar_keeps_each_step_whole():
    """On a terminal (tqdm knows its width) a long prefix and step were cut at its edge,
    mid-word ('without folds 1/3 and 2/3, model 2'), the step lost: the step shows whole."""
    from tqdm.auto import tqdm

    from shoprel.utils.progress import report_step, steps_on

    log = Terminal()
    bar = tqdm(total=6, desc="nested teacher", file=log, ncols=80, mininterval=0)
    with steps_on(bar, "without folds 0 and 1, model 2/2: "):
        report_step("boosters 1/3, tree 150/400")
    bar.close()
    lines = drawn_lines(log)
    assert max(len(line) for line in lines) <= 80, lines
    assert any(line.endswith(", boosters 1/3, tree 150/400]") for line in lines), lines
    assert bar.ncols == 80


def test_a_logged_steps_bar_keeps_one_format_from_first_line_to_last(monkeypatch):
    """A logged folds bar alternated formats: its first line and those between folds drew
    tqdm's bar and rate ('QC folds:  50%|█████     | 1/2 [00:01<00:01,  1.00s/it]'), its step
    lines the compact counts. A bar without a total counts its unit; disabled, it draws none."""
    import io

    from shoprel.utils.progress import progress_bar, report_step, steps_on

    monkeypatch.delenv("COLUMNS", raising=False)
    log = io.StringIO()
    bar = progress_bar(range(2), desc="QC folds", file=log, mininterval=0)
    for fold in bar:
        with steps_on(bar, f"fold {fold}: ", first="fitting"):
            report_step("boosters 1/3, tree 150/400")
    assert drawn_lines(log) == [
        "QC folds: 0/2 [00:00<?]", "QC folds: 0/2 [00:00<?, fold 0: fitting]",
        "QC folds: 0/2 [00:00<?, fold 0: boosters 1/3, tree 150/400]",
        "QC folds: 1/2 [00:00<00:00]", "QC folds: 1/2 [00:00<00:00, fold 1: fitting]",
        "QC folds: 1/2 [00:00<00:00, fold 1: boosters 1/3, tree 150/400]",
        "QC folds: 2/2 [00:00<00:00]"]  # once: not drawn again as it closes
    log = io.StringIO()
    with progress_bar(desc="unlabelled pairs", unit=" rows", file=log, mininterval=0) as bar:
        bar.update(40)
    assert drawn_lines(log) == ["unlabelled pairs: 0 rows [00:00]",
                                "unlabelled pairs: 40 rows [00:00]"]  # and closed
    log = io.StringIO()  # one row is "1 row" (predict of a one-row file said "1 rows")
    with progress_bar(desc="scoring", unit=" rows", file=log, mininterval=0) as bar:
        bar.update(1)
    assert drawn_lines(log) == ["scoring: 0 rows [00:00]", "scoring: 1 row [00:00]"]
    monkeypatch.setenv("COLUMNS", "30")  # $COLUMNS, where set, is the log's width
    log = io.StringIO()
    with progress_bar(range(2), desc="learning curve, 50% of rows", file=log) as bar:
        pass
    assert max(len(line) for line in drawn_lines(log)) <= 29
    log = io.StringIO()
    with progress_bar(range(2), desc="QC folds", file=log, disable=True) as bar:
        with steps_on(bar, "fold 0: ", first="fitting"):
            report_step("boosters 1/3")
    assert log.getvalue() == ""


def test_a_log_is_a_log_where_tqdm_takes_columns_and_lines_for_its_size(monkeypatch):
    """tqdm 4.66 and 4.67 (pyproject allows them) gave any stream that is no terminal the size
    $COLUMNS and $LINES say where both are exported, and a log file then drew a terminal's bar
    and rate, and lost the fold at 80 columns ('QC folds:   0%|   | 0/5 [00:00<?, ?it/s, boost'):
    whether the stream is a terminal decides. A terminal of the same size draws its bar."""
    import tqdm.std

    from shoprel.utils.progress import progress_bar, report_step, steps_on

    def from_the_environment(fp):  # tqdm 4.67's fallback, where the stream has no size
        return [int(os.environ[name]) - 1 for name in ("COLUMNS", "LINES")]

    monkeypatch.setattr(tqdm.std, "_screen_shape_wrapper", lambda: from_the_environment)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    for stream in (io.StringIO(), Terminal()):
        monkeypatch.setattr(sys, "stderr", stream)  # tqdm asks the size of stderr's alone
        bar = progress_bar(range(5), desc="QC folds", mininterval=0)
        for fold in bar:
            with steps_on(bar, f"fold {fold}: "):
                report_step("boosters 1/3, tree 150/400")
            break
        bar.close()
        lines = drawn_lines(stream)
        assert max(len(line) for line in lines) <= 79, lines
        if isinstance(stream, Terminal):
            assert all("|" in line for line in lines), lines
        else:
            assert lines[:2] == ["QC folds: 0/5 [00:00<?]",
                                 "QC folds: 0/5 [00:00<?, fold 0: boosters 1/3, tree 150/400]"]


def shown(text: str) -> list[str]:
    """The lines `cat` of a log shows on a terminal: each redraw ('\\r') written over the last,
    what it does not cover left showing."""
    lines = []
    for line in text.split("\n"):
        row = ""
        for drawing in line.split("\r"):
            row = drawing + row[len(drawing):]
        lines.append(row.rstrip())
    return lines


def nested_bars(stream) -> str:
    """index's two bars: `indexing`, and an encoder's for each part of new texts under it."""
    from shoprel.utils.progress import progress_bar

    with progress_bar(total=2, desc="indexing", unit=" targets", file=stream,
                      mininterval=0) as outer:
        for _ in range(2):
            with progress_bar(total=3, desc="embed", unit="text", file=stream,
                              mininterval=0) as inner:
                inner.update(3)
            outer.update(1)
    return stream.getvalue()


def test_a_logged_nested_bar_writes_plain_lines(monkeypatch):
    """A nested bar (an encoder's under `indexing`) wrote tqdm's cursor-up escape and a blank
    line at each redraw into a log file: it writes whole lines where the log ends, as the bar
    it is nested under. A terminal's bars still move the cursor, each on its own row."""
    monkeypatch.delenv("COLUMNS", raising=False)
    log = nested_bars(io.StringIO())
    assert "\x1b" not in log and "\r" not in log, repr(log)
    assert log.split("\n") == [
        "indexing: 0/2 [00:00<?]", "embed: 0/3 [00:00<?]", "embed: 3/3 [00:00<00:00]",
        "indexing: 1/2 [00:00<00:00]", "embed: 0/3 [00:00<?]", "embed: 3/3 [00:00<00:00]",
        "indexing: 2/2 [00:00<00:00]", ""]
    assert "\x1b[A" in nested_bars(Terminal())


def test_a_logged_bar_writes_whole_lines_a_count_alone_every_log_interval(monkeypatch):
    """With stderr a file or a pipe every bar redrew its line with '\\r' (train's folds bar
    ~80 drawings in one line of the log, `^M` between them in less or an editor): each state
    is a line of its own, a new step at once, a count that alone moved once LOG_INTERVAL has
    passed since the bar's last line (a batch a second wrote a line each), the last as the bar
    closes."""
    from shoprel.utils.progress import LOG_INTERVAL, progress_bar

    monkeypatch.delenv("COLUMNS", raising=False)
    log = io.StringIO()
    bar = progress_bar(total=100, desc="embedding", file=log, bar_format="{desc}: {n_fmt}{postfix}")
    clock = [bar.start_t]
    bar._time = lambda: clock[0]
    for _ in range(3 * int(LOG_INTERVAL)):
        clock[0] += 1
        bar.update(1)
    bar.set_postfix_str("saving")
    bar.update(2)
    bar.close()
    assert log.getvalue().split("\n") == ["embedding: 0", "embedding: 10", "embedding: 20",
                                          "embedding: 30", "embedding: 30, saving",
                                          "embedding: 32, saving", ""]


def test_a_logged_bar_writes_no_line_for_its_time_alone(monkeypatch):
    """A logged bar redrawn with its count and step as they were (a note written beside it,
    tqdm's monitor every 10 s, its close) wrote its line again, its seconds the only change:
    in a log each is one more line repeating the last."""
    from shoprel.utils.progress import LOG_INTERVAL, progress_bar, write_line

    monkeypatch.delenv("COLUMNS", raising=False)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    bar = progress_bar(total=5, desc="QC folds", file=log)
    clock = [bar.start_t]
    bar._time = lambda: clock[0]
    for _ in range(3):
        clock[0] += 3 * LOG_INTERVAL
        bar.refresh()
    write_line("note: building the encoder")  # the bar is drawn again after it
    clock[0] += 3 * LOG_INTERVAL
    bar.update(1)
    clock[0] += 3 * LOG_INTERVAL
    bar.refresh()
    bar.close()
    lines = log.getvalue().split("\n")
    assert lines[:2] == ["QC folds: 0/5 [00:00<?]", "note: building the encoder"], lines
    assert re.fullmatch(r"QC folds: 1/5 \[02:00<\S+\]", lines[2]) and lines[3:] == [""], lines


def test_a_logged_bar_s_last_line_is_written_once(monkeypatch):
    """tqdm draws a bar's line once more as it closes: a log read line by line (less, a CI
    page) held predict's 'scoring: 2001 rows [00:00]' and train's last folds line twice. A
    logged bar's line is written again on closing only where it shows something else: a
    count or step not written yet; a terminal's bar is tqdm's own."""
    from shoprel.utils.progress import progress_bar

    monkeypatch.delenv("COLUMNS", raising=False)
    meter = {"bar_format": "{desc}: {n_fmt}{postfix}"}  # no time: its seconds would tick

    def drawn(mininterval=0, stream=io.StringIO, step=False, nested=False):
        log = stream()
        with progress_bar(desc="scoring", file=log, mininterval=mininterval, **meter) as bar:
            bar.set_postfix_str("saving" if step else "", refresh=False)
            bar.update(2001)
            bar.set_postfix_str("", refresh=False)  # as steps_on leaves it
            if nested:
                with progress_bar(desc="embed", total=3, file=log, leave=False, **meter) as inner:
                    inner.update(3)
        return log.getvalue()

    assert drawn() == "scoring: 0\nscoring: 2001\n"
    assert drawn(mininterval=3600) == "scoring: 0\nscoring: 2001\n"  # written as it closes
    assert drawn(step=True) == "scoring: 0\nscoring: 2001, saving\nscoring: 2001\n"
    # a bar that leaves no line (leave=False) ends with no last count: its 3 came at once
    assert drawn(nested=True) == "scoring: 0\nscoring: 2001\nembed: 0\n"
    assert drawn(stream=Terminal) == "\rscoring: 0\rscoring: 2001\rscoring: 2001\n"


NOTE = r"loading encoder tiny \(transformers\)\.\.\. \d+\.\d s\n"


def test_a_timed_note_in_a_log_is_one_plain_line_begun_before_its_step(monkeypatch):
    """Loading a backbone's encoder (~10 s) showed nothing until the first embedding bar: a
    log now reads what is loading while it loads, and the seconds once done, on one line."""
    from shoprel.utils.progress import timed_note

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with timed_note("loading encoder tiny (transformers)"):
        assert log.getvalue() == "loading encoder tiny (transformers)... "
    assert re.fullmatch(NOTE, log.getvalue())
    with pytest.raises(KeyError), timed_note("loading encoder tiny (transformers)"):
        raise KeyError("x")
    assert log.getvalue().endswith("... \n")  # an error's line starts a line of its own
    log.truncate(0)
    log.seek(0)
    with quiet_while(True), timed_note("loading encoder tiny (transformers)"):
        pass
    assert log.getvalue() == ""


@pytest.mark.parametrize("stream", [io.StringIO, Terminal])
def test_a_timed_note_beside_a_bar_is_written_whole_above_it(monkeypatch, stream):
    """A line begun on a terminal under index's bar (or a library's 'Loading weights') would
    be drawn over: the step waits as a bar of its own, and its line is written whole once
    done. In a log, where the bar writes whole lines, it is one line begun before its step;
    a log holds no cursor moves nor redraws."""
    from shoprel.utils.progress import progress_bar, timed_note

    monkeypatch.delenv("COLUMNS", raising=False)
    log = stream()
    monkeypatch.setattr(sys, "stderr", log)
    with progress_bar(total=2, desc="indexing", file=log, mininterval=0) as bar:
        with timed_note("loading encoder tiny (transformers)"):
            assert "loading encoder tiny (transformers)..." in log.getvalue()
        bar.update(2)
    lines = log.getvalue().split("\n")
    assert len([line for line in lines if re.search(NOTE[:-2] + "$", line)]) == 1, lines
    if stream is io.StringIO:
        assert re.fullmatch(r"indexing: 0/2 \[00:00<\?\]\n" + NOTE
                            + r"indexing: 2/2 \[00:00<00:00\]\n", log.getvalue())
    else:
        assert re.search(r"\r" + NOTE, log.getvalue())


def test_whole_notes_are_written_once_their_step_is_done(monkeypatch):
    """serve's workers load their encoders at once into one stderr: a line begun by one was
    ended by another's."""
    from shoprel.utils.progress import timed_note, whole_notes

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with whole_notes(), timed_note("loading encoder tiny (transformers)"):
        assert log.getvalue() == ""
    assert re.fullmatch(NOTE, log.getvalue())


def own_lines(text: str) -> list[str]:
    """What stands alone on a line once a terminal has drawn `text` (a bar's \\r redraws)."""
    return [part.strip() for part in re.split(r"[\r\n]", text)]


@pytest.mark.parametrize("stream", [io.StringIO, Terminal])
def test_a_line_written_beside_a_bar_stands_on_its_own(monkeypatch, stream):
    """A note or log line written at the cursor landed inside the folds bar's line ('QC folds:
    0/5 [00:00<?, fold 0: embedding]building embeddinggemma-300m into ...')."""
    from shoprel.utils.progress import progress_bar, write_line

    monkeypatch.delenv("COLUMNS", raising=False)
    log = stream()
    monkeypatch.setattr(sys, "stderr", log)
    with progress_bar(total=2, desc="QC folds", file=log, mininterval=0) as bar:
        bar.update(1)
        write_line("note: building the encoder")
        bar.update(1)
    assert "note: building the encoder" in own_lines(log.getvalue()), log.getvalue()
    if stream is io.StringIO:
        assert "\x1b" not in log.getvalue()
    plain = io.StringIO()
    write_line("note: no bar", plain)
    assert plain.getvalue() == "note: no bar\n"


def test_a_commands_log_lines_go_above_its_bars_and_only_while_it_runs(monkeypatch):
    """shoprel's warnings (a backbone being built once per machine) were written by Python's
    last-resort handler at the cursor, into the bar's line."""
    from shoprel.utils.progress import LinesPastBars, log_lines_past_bars, progress_bar

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    logger = logging.getLogger("shoprel.models.backbones.embeddinggemma")
    with log_lines_past_bars(), log_lines_past_bars():  # nested: one handler
        assert sum(isinstance(h, LinesPastBars)
                   for h in logging.getLogger("shoprel").handlers) == 1
        with progress_bar(total=2, desc="QC folds", file=log, mininterval=0) as bar:
            bar.update(1)
            logger.warning("building %s into %s", "embeddinggemma-300m", "/cache")
            logger.info("not shown: below WARNING, as before")
            bar.update(1)
    assert "building embeddinggemma-300m into /cache" in own_lines(log.getvalue())
    assert "not shown" not in log.getvalue()
    assert not any(isinstance(h, LinesPastBars) for h in logging.getLogger("shoprel").handlers)


def test_a_cli_note_beside_a_bar_stands_on_its_own(monkeypatch):
    from shoprel.cli.options import note
    from shoprel.utils.progress import progress_bar

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress_bar(total=2, desc="QC folds", file=log, mininterval=0) as bar:
        bar.update(1)
        note("note: 3 rows left out", quiet=False)
        note("note: never shown", quiet=True)
        bar.update(1)
    assert "note: 3 rows left out" in own_lines(log.getvalue())
    assert "never shown" not in log.getvalue()


def test_a_bar_stopped_while_it_draws_its_first_line_closes_without_a_traceback(monkeypatch):
    """Ctrl-C in `train` as the final fit's bar was drawing its first line left tqdm's __init__
    before it set `last_print_t`; the bar's __del__ then closed it and printed 'Exception
    ignored in: <function tqdm.__del__> ... AttributeError: 'ShoprelBar' object has no
    attribute 'last_print_t'' below the one-line 'interrupted' message."""
    import gc
    import io

    from shoprel.utils.progress import progress_bar

    class StoppedLog(io.StringIO):
        def write(self, text):
            raise KeyboardInterrupt

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(KeyboardInterrupt):
        progress_bar(total=1, desc="QC final fit (481 rows)", file=StoppedLog())
    gc.collect()
    assert [str(hook.exc_value) for hook in unraisable] == []
    # tqdm's lock, one for the whole process, was kept by this thread (tqdm's refresh takes
    # it and lets it go only when drawing returns): a bar drawn later in another thread (a
    # served model's encoder) waited on it for ever
    import threading

    from tqdm.std import TqdmDefaultWriteLock

    free = []

    def take() -> None:
        locks = [TqdmDefaultWriteLock.th_lock, TqdmDefaultWriteLock.mp_lock]
        taken = [lock for lock in locks if lock is not None and lock.acquire(timeout=2)]
        free.append(len(taken) == sum(lock is not None for lock in locks))
        for lock in reversed(taken):
            lock.release()

    other = threading.Thread(target=take)
    other.start()
    other.join()
    assert free == [True]
