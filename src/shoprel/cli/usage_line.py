"""A misused command line said as every other shoprel error is: one line naming the command,
what is wrong and the help to read, `error: shoprel train: no such option '--fodls'; did you
mean '--folds'? (shoprel train --help)`, in place of click's usage block (a usage line, a
"Try" line, a blank, then "Error: ..."). click's own words are kept (which option, which
argument, its suggestion); an unknown command is told the one it likely misspells by shoprel's
rule for names (utils/close_names.py), from every command, loaded or not."""

from __future__ import annotations

import click

from shoprel.utils.close_names import closest_name, one_letter_off

# `shoprel` or `shoprel cache` alone: click shows the help (and exits 2), kept as it is
_HELP_SHOWN = getattr(click.exceptions, "NoArgsIsHelpError", ())


class UsageLine(click.UsageError):
    """A usage error already put in one line; click shows it so and exits 2 (a caller of
    main(standalone_mode=False) still gets a click.UsageError)."""

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", file=file, err=True)


def shows_help(exc: click.UsageError) -> bool:
    """True for the error that is click's help for a group given no command."""
    return isinstance(exc, _HELP_SHOWN)


def one_line(exc: click.UsageError, top: click.Context, line: list[str]) -> UsageLine:
    """`exc` as one line; `top`, `line`: the group that parsed the command line and that line,
    where its command is found when click's error leaves it out (or names a context of its
    own making, as cli/repeats.py's check does)."""
    ctx = exc.ctx if exc.ctx is not None and exc.ctx.info_name else innermost(top, line)
    said = _what_is_wrong(exc)
    if (near := _near(exc)) is not None:
        said += f"; did you mean {near}?"
    help_names = ctx.command.get_help_option_names(ctx)
    if ctx.command.get_help_option(ctx) is not None and help_names:
        said += f" ({ctx.command_path} {max(help_names, key=len)})"
    return UsageLine(f"{ctx.command_path}: {said}", ctx=ctx)


def innermost(top: click.Context, line: list[str]) -> click.Context:
    """The context of the command that `line`, given to `top`'s group, runs, by click's own
    reading of it, down through groups (`shoprel cache prune ...`); `top` where the line names
    no command."""
    ctx, args = top, line
    while isinstance(ctx.command, click.Group):
        try:
            _, rest, _ = ctx.command.make_parser(ctx).parse_args(args=list(args))
        except click.UsageError:
            break
        sub = ctx.command.get_command(ctx, rest[0]) if rest else None
        if sub is None:
            break
        ctx = click.Context(sub, info_name=rest[0], parent=ctx, resilient_parsing=True)
        args = rest[1:]
    return ctx


def _what_is_wrong(exc: click.UsageError) -> str:
    """click's message, in one line, begun in lower case and without its full stop; an
    unknown name's suggestion is left to _near."""
    text = exc.message if hasattr(exc, "possibilities") else exc.format_message()
    text = " ".join(text.split()).removesuffix(".")
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower():  # 'No such', 'Missing'; not 'ONNX'
        text = text[0].lower() + text[1:]
    return text


def _near(exc: click.UsageError) -> str | None:
    """What an unknown option or command likely stands for: click's guesses for an option that
    shoprel's rule for names also takes (_alike), the closest command name for a command
    (click's own guess reads only the commands loaded)."""
    command_name = getattr(exc, "command_name", None)  # NoSuchCommand, click 8.4 on
    if command_name is not None and exc.ctx is not None:
        group = exc.ctx.command
        near = closest_name(command_name, group.list_commands(exc.ctx))
        return None if near is None else f"'{near}'"
    guesses = getattr(exc, "possibilities", None) or []
    option = getattr(exc, "option_name", None)
    if option is not None:
        guesses = [guess for guess in guesses if _alike(option, guess)]
    return " or ".join(f"'{guess}'" for guess in guesses) or None


def _alike(option: str, guess: str) -> bool:
    """Whether click's guess for an unknown option is one shoprel's rule for names takes
    (closest_name, the names without their dashes), or the option one letter off it: click's
    ratio counts the two dashes alike, so '--bogus' was told '--out', '--model' '--help' and
    '--version' '--overwrite'; '--oyt' is still told '--out', '--tp' '--to'."""
    key, name = option.lstrip("-"), guess.lstrip("-")
    return closest_name(key, [name]) is not None or one_letter_off(key, name)
