"""Helpers the commands share for reading their options."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import click
from click.core import ParameterSource

from shoprel.cli.repeats import OneValueOption
from shoprel.data.formats import formats_described
from shoprel.utils.bounds import not_finite, not_whole, out_of_range
from shoprel.utils.number_text import unplain_hint
from shoprel.utils.path_limits import unusable_path
from shoprel.utils.progress import (
    library_bars_off,
    logged_library_bars,
    quiet_libraries,
    write_line,
)


def given(name: str) -> bool:
    """Whether the user wrote the option on the command line (not its default): an option
    that applies only beside another is refused when given alone, rather than ignored."""
    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


class HomePath(click.Path):
    """A path given on the command line, a leading `~` read as the home folder: quoted
    (`--out '~/runs/x'`) or passed by a script, the shell never expanded it, and a folder
    literally named `~` was made in the current one (an input was "not found"). A path no
    file can be at (utils/path_limits.py: a `~name` of no user known here, a name too long, a
    link that leads back to itself) is refused here, as the API refuses it: it was a
    traceback from the first place that used it."""

    def convert(self, value, param, ctx):
        if isinstance(value, str | os.PathLike):
            value = Path(os.path.expanduser(value))
            problem = unusable_path(value)
            if problem:
                self.fail(problem, param, ctx)
        return super().convert(value, param, ctx)


def within_range(kind: click.IntRange | click.FloatRange, number, value, param, ctx):
    """`number` (`value` as given, converted) checked against the range's bounds, refused in
    the words a config field's bound is (utils/bounds.py): click said "0 is not in the range
    x>=1." where ServeSettings(max_pairs=0) said "Input should be greater than or equal to
    1"."""
    bounds = {}
    if kind.min is not None:
        bounds["gt" if kind.min_open else "ge"] = kind.min
    if kind.max is not None:
        bounds["lt" if kind.max_open else "le"] = kind.max
    problem = out_of_range(number, str(value).strip(), **bounds)
    if problem:
        kind.fail(f"{problem}.", param, ctx)
    return number


def refuse_unplain(kind: click.ParamType, value, param, ctx, whole: bool = False) -> None:
    """Refuse text that Python's int() or float() reads as a number but nobody writes as one
    ('５', '1_0', '٠.٥'), in click's words for no number of the kind, naming the option, with
    the number to write: `--folds 1_0` ran 10 folds, a full-width digit pasted from another
    script ran as its ASCII one, where either was more likely a slip than meant. `whole`: a
    whole-number option, hinted only a whole number ('１.０': write 1); text that is none
    ('１.５') passes here, for the option to refuse as not whole."""
    hint = unplain_hint(value, whole) if isinstance(value, str) else None
    if hint:
        kind.fail(f"{value!r} is not a valid {kind.name} ({hint}).", param, ctx)


def written_number(value) -> float | None:
    """The number `value` (an option's text) is written as, nan and inf too, or None for text
    that is no number ('x')."""
    try:
        return float(str(value).strip())
    except ValueError:
        return None


class IntegerRange(click.IntRange):
    """click's IntRange, named as a bare int is ("'x' is not a valid integer.", INTEGER in
    --help): as "integer range" it said "'nan' is not a valid integer range."; a number that
    is not whole (nan, inf, 1.5) said in utils/bounds.py's words (not_whole), as a number
    option says nan, and a number out of range as a config's is (within_range). Text Python
    reads as a whole number that nobody writes as one ('５', '1_0') is refused (refuse_unplain);
    '１.５' as not whole."""

    name = "integer"

    def convert(self, value, param, ctx):
        refuse_unplain(self, value, param, ctx, whole=True)
        try:
            number = click.INT.convert(value, param, ctx)
        except click.BadParameter:
            written = written_number(value)
            if written is None:  # no number at all: click's words, as NumberRange keeps them
                raise
            self.fail(f"{not_whole(written, str(value).strip())}.", param, ctx)
        return within_range(self, number, value, param, ctx)


class NumberRange(click.FloatRange):
    """A FloatRange that refuses nan (every comparison with it is false, so FloatRange lets it
    through) and inf (past a range with no max), in click's words naming the option, as it
    says a number out of range; `infinite=True` where inf means "no limit". Named as a bare
    float is, as IntegerRange is; '０.５' and '1_0' refused as IntegerRange refuses them."""

    name = "float"

    def __init__(self, *args, infinite: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.infinite = infinite

    def convert(self, value, param, ctx):
        refuse_unplain(self, value, param, ctx)
        number = click.FLOAT.convert(value, param, ctx)
        if math.isnan(number) or (math.isinf(number) and not self.infinite):
            # said as a config field's .inf is (utils/bounds.py)
            self.fail(f"{not_finite(number, str(value).strip())}.", param, ctx)
        return within_range(self, number, value, param, ctx)


class NumberList(click.ParamType):
    """Numbers separated by commas, each refused as its NumberRange refuses one (nan, inf, out
    of range), naming the option: a list read by the API alone was refused in the API's words
    ('learning curve: fractions must lie ...'), which named no option."""

    name = "numbers"

    def __init__(self, each: NumberRange, example: str):
        self.each = each
        self.example = example  # e.g. 0.1,0.25,0.5: said when the text is no list of numbers

    def convert(self, value, param, ctx):
        if isinstance(value, list):  # converted already (a default)
            return value
        numbers = []
        for part in str(value).split(","):
            try:
                float(part)
            except ValueError:
                self.fail(f"{value!r} is not numbers separated by commas, e.g. {self.example}.",
                          param, ctx)
            numbers.append(self.each.convert(part, param, ctx))
        return numbers


def output_path() -> HomePath:
    """The type of every option naming an output (--out, --filtered-train, a cache)."""
    return HomePath(path_type=Path)


def rows_output_help(what: str) -> str:
    """The help of an option naming a file of rows (predict's, translate's and langid's --out,
    noise --filtered-train), each written in the format its name says: every one names the
    formats and their extensions alike (data/formats.py's table), .txt among JSON lines', where
    some said none and an output named .txt was JSON lines with no word of it."""
    return f"{what}, in the format its extension names: {formats_described()}."


def input_path() -> HomePath:
    """The type of every argument or option naming a file or folder to read."""
    return HomePath(path_type=Path)


def config_option(*decls: str, **kwargs):
    """An option naming a run config file (train --config, distill --student). Given twice it
    is refused as any single-value option is (cli/repeats.py), saying why: a user of layered
    configs (as other tools take them) expects `--config base.yaml --config mine.yaml` to
    read both, where click kept mine.yaml alone."""
    return click.option(*decls, cls=OneValueOption, type=input_path(),
                        when_repeated="it takes one config file (configs are not layered): "
                                      "merge them into one", **kwargs)


def task_option():
    """`--task` for a command reading a file whose columns may hold both targets (a file with
    category_path and item_title names no task by its columns; the error then says --task)."""
    return click.option("--task", type=click.Choice(["QC", "QI"], case_sensitive=False),
                        help="Task, when the rows do not tell (a row with both "
                             "category_path and item_title and no task field).")


def scorer_option(default: str = "full"):
    """`--scorer` of the commands that score, in any case ("FULL"), as `--task` takes "qc".
    SCORERS imported here: every command reads this module, and the scoring stack it comes
    with (pandas, ~1 s) is loaded only by those that score, which load it anyway."""
    from shoprel.predict.cascade import SCORERS

    return click.option("--scorer", type=click.Choice(SCORERS, case_sensitive=False),
                        default=default, show_default=True,
                        help="full: the run's models; student: the fast distilled student the "
                             "run carries (RUN/student, its own threshold); cascade: the "
                             "student, with the full model rescoring the queries it is least "
                             "sure of (--cascade-share).")


def check_cascade_share(scorer: str) -> None:
    """--cascade-share written beside another scorer is refused, not ignored (predict, serve)."""
    if given("cascade_share") and scorer != "cascade":
        from shoprel.errors import ConfigError

        raise ConfigError(f"--cascade-share: only with --scorer cascade (this command scores "
                          f"with --scorer {scorer})")


# --help of --quiet on a command that writes no progress nor notes: taken all the same, so a
# script passes --quiet to every command alike (it was "No such option" on evaluate, report...)
NOTHING_TO_SILENCE = "Silence progress and notes."


def quiet_option(help_text: str):
    """`--quiet` for a command, which then runs under quiet_libraries: the bars and log lines
    of the libraries it loads models with ('Loading weights'...) are silenced with its own.
    Without it, where stderr is no terminal (a log), the libraries' bars are off
    (library_bars_off): the command's own bars and notes say what it is doing in plain lines."""

    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            quiet = kwargs["quiet"]
            with quiet_libraries(quiet), library_bars_off(not quiet and logged_library_bars()):
                return command(*args, **kwargs)

        return click.option("--quiet", is_flag=True, help=help_text)(run)

    return decorate


def note(line: str, quiet: bool) -> None:
    """Print `line` (a `note: ...`) on stderr, where the progress goes, unless --quiet: quiet
    silences the progress and the notes alike, so that the flag leaves a command's results,
    its `warning:` lines (a result unlike the one asked for) and its errors."""
    if not quiet:
        write_line(line)  # above a bar drawn on stderr, not into its line
