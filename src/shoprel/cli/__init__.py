"""`shoprel <verb>`: parse the command line, call the Python API, print the outcome.

One module per command group (`train.py`, `ensemble.py`, ...); each lists its click commands
in `COMMANDS`, and `app.COMMAND_MODULES` is the one place that registers them on `main`.
No command holds logic of its own: the work is a function of the package it drives.
"""

from shoprel.cli.app import COMMAND_MODULES, ShoprelGroup, main

__all__ = ["COMMAND_MODULES", "ShoprelGroup", "main"]
