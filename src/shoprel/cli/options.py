"""Helpers the commands share for reading their options."""

from __future__ import annotations

import click
from click.core import ParameterSource


def given(name: str) -> bool:
    """Whether the user wrote the option on the command line (not its default): an option
    that applies only beside another is refused when given alone, rather than ignored."""
    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
