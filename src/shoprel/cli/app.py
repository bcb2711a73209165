"""The `shoprel` command group and the one list of the modules that add commands to it."""

from __future__ import annotations

import importlib
import sys

import click

from shoprel.cli.repeats import refuse_repeated_options
from shoprel.errors import ShoprelError

# Each command's module: a module of this package that ends with `COMMANDS = (command, ...)`,
# a tuple of click commands. A module is imported when one of its commands runs (or --help
# lists them all), so `shoprel predict` does not import the server's, the ensembles' or the
# translators' stacks (~0.2 s a command). A new command: write `cli/<group>.py` that parses,
# calls the Python API and prints, then add its name here (tests/cli/test_app.py checks the
# two agree) and a test under tests/cli/.
COMMAND_MODULE = {
    "train": "train", "predict": "predict", "check-submission": "predict", "index": "index",
    "evaluate": "evaluate", "report": "evaluate", "compare": "evaluate", "demo": "demo",
    "far-pairs": "evaluate",
    "translate": "augment", "langid": "augment", "serve": "serve", "ensemble": "ensemble",
    "noise": "ensemble", "export": "export", "pretrain": "pretrain", "distill": "distill",
    "cache": "cache",
}


# ctx.meta's key for the line the group was given (its command's, where click's error left
# the command out: "Option '--folds' requires an argument.")
LINE = "shoprel.cli.line"


class ShoprelGroup(click.Group):
    """Shows ShoprelErrors, and a misused command line (an unknown option or command, a
    missing argument, a value the options refuse), as one clear line and exit code 2 (not a
    traceback, nor click's usage block: cli/usage_line.py); finds each command in its module
    (COMMAND_MODULE) when it is asked for; refuses a single-value option given twice to any
    command (cli/repeats.py)."""

    def main(self, *args, **kwargs):
        from shoprel.utils.telemetry import default_no_onnxruntime_telemetry
        from shoprel.utils.threads import default_openmp_spin

        default_openmp_spin()  # before any command imports LightGBM or torch
        default_no_onnxruntime_telemetry()  # before any imports onnxruntime (it writes files)
        return super().main(*args, **kwargs)

    def parse_args(self, ctx, args):
        ctx.meta[LINE] = list(args)
        try:  # the group's own options: `shoprel --bogus`
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _in_one_line(exc, ctx) from None

    def list_commands(self, ctx) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULE})

    def get_command(self, ctx, name: str):
        if name not in self.commands and name in COMMAND_MODULE:
            module = importlib.import_module(f"{__package__}.{COMMAND_MODULE[name]}")
            for command in module.COMMANDS:
                self.commands.setdefault(command.name, command)
        return self.commands.get(name)

    def resolve_command(self, ctx, args):
        # before the command parses its line: click would keep a repeated option's last value
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not ctx.resilient_parsing:  # not while completing a line
            refuse_repeated_options(command, ctx, rest)
        return name, command, rest

    def invoke(self, ctx):
        from shoprel.utils.progress import log_lines_past_bars
        from shoprel.utils.signals import exit_status, sigterm_as_interrupt

        # temporary outputs are removed on SIGTERM too; the caller's handler is back after;
        # log lines (a backbone being built) go above the bars, not into their line
        with sigterm_as_interrupt(), log_lines_past_bars():
            try:
                return super().invoke(ctx)
            except (ShoprelError, FileExistsError) as exc:
                # one line, even where the error quotes a library's several-line message
                click.echo(f"error: {' '.join(str(exc).splitlines())}", err=True)
                sys.exit(2)
            except click.UsageError as exc:  # the command, its options, its arguments
                raise _in_one_line(exc, ctx) from None
            except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (above): what became of
                # the files, in the command's words where it kept something
                click.echo(getattr(exc, "note", None)
                           or "interrupted: what this command had not finished writing was "
                              "removed; outputs that were already there are as they were",
                           err=True)
                sys.exit(exit_status(exc))  # 130 for Ctrl-C, 143 for SIGTERM


# named: an error or help run in-process (CliRunner) says `shoprel train`, not `main train`
@click.group("shoprel", cls=ShoprelGroup)
@click.version_option(package_name="shoprel")
def main() -> None:
    """Decide whether products fit shoppers' queries, in any language (QC and QI tasks)."""


def _in_one_line(exc: click.UsageError, ctx: click.Context) -> click.UsageError:
    """`exc` as the one line click shows (and exits 2); click's help for a group given no
    command stays the help. Its module is imported only when a line is misused."""
    from shoprel.cli.usage_line import UsageLine, one_line, shows_help

    if shows_help(exc) or isinstance(exc, UsageLine):
        return exc
    return one_line(exc, ctx, ctx.meta.get(LINE, []))
