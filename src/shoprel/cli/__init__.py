"""`shoprel <verb>`: parse the command line, call the Python API, print the outcome.

One module per command group (`train.py`, `ensemble.py`, ...); each lists its click commands
in `COMMANDS`, and `app.COMMAND_MODULE` is the one place that registers them on `main`
(imported when one of them runs).
No command holds logic of its own: the work is a function of the package it drives.
"""

from shoprel.cli.app import COMMAND_MODULE, ShoprelGroup, main

__all__ = ["COMMAND_MODULE", "ShoprelGroup", "main"]
