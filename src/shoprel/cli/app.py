"""The `shoprel` command group and the one list of the modules that add commands to it."""

from __future__ import annotations

import importlib
import sys

import click

from shoprel.errors import ShoprelError

# Each name is a module of this package that ends with `COMMANDS = (command, ...)`, a tuple of
# click commands. A new command: write `cli/<group>.py` that parses, calls the Python API and
# prints, then add its module name here (and a test under tests/cli/).
COMMAND_MODULES = (
    "train", "predict", "index", "evaluate", "demo", "augment", "serve", "ensemble", "export",
    "pretrain", "distill", "cache",
)


class ShoprelGroup(click.Group):
    """Shows ShoprelErrors as one clear line and exit code 2, not a traceback."""

    def invoke(self, ctx):
        from shoprel.utils.signals import sigterm_as_interrupt

        # temporary outputs are removed on SIGTERM too; the caller's handler is back after
        with sigterm_as_interrupt():
            try:
                return super().invoke(ctx)
            except (ShoprelError, FileExistsError) as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(2)


@click.group(cls=ShoprelGroup)
@click.version_option(package_name="shoprel")
def main() -> None:
    """Decide whether products fit shoppers' queries, in any language (QC and QI tasks)."""


def register_commands(group: click.Group, modules=COMMAND_MODULES) -> None:
    """Add every command of the listed modules (their COMMANDS tuple) to the group."""
    for name in modules:
        module = importlib.import_module(f"{__package__}.{name}")
        for command in module.COMMANDS:
            group.add_command(command)


register_commands(main)
