"""A single-value option given twice is refused, for every command, before it runs.

click keeps a repeated option's last value silently: `train f --out a --out b` wrote only b,
`--folds 3 --folds 5` took 5, `--config base.yaml --config mine.yaml` never read base.yaml.
A line that says one thing twice was most likely put together wrongly (a script adding its
own --out to the user's), so the command names both values and does nothing. Options taking
several values (`multiple`) are not concerned; a switch given twice the same way
(`--quiet --quiet`) loses nothing and is taken; one given both ways (`--student
--no-student`) is refused as a value given twice is.
"""

from __future__ import annotations

from collections import Counter

import click

TAKES_ONE = "it takes one value"


class OneValueOption(click.Option):
    """An option that says, when refused for a repeat, why it takes one value rather than
    several (a config file: configs are not layered) in place of TAKES_ONE."""

    def __init__(self, *args, when_repeated: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.when_repeated = when_repeated


def refuse_repeated_options(command: click.Command, parent: click.Context,
                            args: list[str]) -> None:
    """Raise click.BadParameter for the first single-value option that `args` (the command
    line after `command`'s name) give twice, naming both values; and so on into a group's
    subcommand. A line the parser refuses (an unknown option) is left to the command's own
    parse, which says so in its words."""
    ctx = click.Context(command, parent=parent, resilient_parsing=True)
    whole = _parsed(command, ctx, args)
    if whole is None or command.get_help_option(ctx) in whole[2]:  # --help: shown, not run
        return
    for option, values in _values_given(command, ctx, args, whole[2]).items():
        if _repeated(option, values):
            shown = ("values not shown: a secret" if option.hide_input  # --api-key
                     else ", ".join(_shown(option, value) for value in values))
            why = "it takes one of them" if option.is_flag else getattr(
                option, "when_repeated", TAKES_ONE)
            raise click.BadParameter(f"given {len(values)} times ({shown}); {why}", ctx=ctx,
                                     param=option)
    rest = whole[1]  # a group's: its subcommand's name, then that command's line
    if isinstance(command, click.Group) and rest:
        sub = command.get_command(ctx, rest[0])
        if sub is not None:
            refuse_repeated_options(sub, ctx, rest[1:])


def _parsed(command: click.Command, ctx: click.Context, args: list[str]):
    """click's own reading of `args` for `command` (values, the rest, the parameters in the
    order given, each as often as written), or None where it refuses them."""
    try:
        return command.make_parser(ctx).parse_args(args=list(args))
    except click.UsageError:
        return None


def _values_given(command: click.Command, ctx: click.Context, args: list[str],
                  order: list[click.Parameter]) -> dict[click.Option, list]:
    """Each single-value option that `order` (the parse of `args`) holds more than once, with
    every value it was given, in order. The parser keeps a repeated option's last value only,
    so the others are read from its parses of ever longer starts of the line: each time an
    option is counted once more, the value it holds is the one just given (`--out=a`, `-o a`,
    `--` read as click reads them). Only lines with a repeat are read so."""
    counted = Counter(param for param in order if _single_value(param))
    values: dict[click.Option, list] = {param: [] for param, times in counted.items()
                                        if times > 1}
    for end in range(1, len(args) + 1) if values else ():
        start = _parsed(command, ctx, args[:end])
        if start is None:  # cut between an option and its value
            continue
        opts, _, order_so_far = start
        for param, seen in values.items():
            if order_so_far.count(param) > len(seen):  # one token adds one value at most
                seen.append(opts[param.name])
    return values


def _single_value(param: click.Parameter) -> bool:
    return isinstance(param, click.Option) and not param.multiple and not param.count


def _repeated(option: click.Option, values: list) -> bool:
    """Given twice with a value, or as a switch both ways."""
    return len(set(values)) > 1 if option.is_flag else len(values) > 1


def _shown(option: click.Option, value) -> str:
    """A value as written: a switch by the name it was given by (--no-student)."""
    if option.is_flag and option.secondary_opts:
        return option.opts[0] if value else option.secondary_opts[0]
    if isinstance(value, tuple):  # an option of several values at once (nargs)
        return " ".join(map(str, value))
    return str(value)
