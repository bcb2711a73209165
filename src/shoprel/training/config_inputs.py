"""What a run config names for train to read, kept apart from the run folder train writes.

`train --overwrite` replaces its --out folder whole, once the fits are done: a stage-0 file
read from inside that folder (one left in an older run's models/, which the --overwrite guard
cannot tell from the run's own files) was lost with it, and the new run's metrics.json named a
file that was no longer there. The training file is kept so by check_output_dir's `reads`;
these are named only in the config, so they are checked here, before any work, each said at
its config field.
"""

from __future__ import annotations

from pathlib import Path

from shoprel.errors import ConfigError
from shoprel.training.config import RunConfig


def named_inputs(config: RunConfig) -> list[tuple[str, str]]:
    """(config field, path) of every file train reads because the config names it: the
    stage-0 files."""
    return [("stage0.data", file) for file in config.stage0.files]


def check_inputs_outside(config: RunConfig, out_dir: str | Path) -> None:
    """Refuse a config whose inputs lie inside (or are) the run folder `out_dir`; one that
    does not exist is left to its reader, which says so."""
    out = Path(out_dir).expanduser().resolve()
    for field, named in named_inputs(config):
        path = Path(named).expanduser()
        if not (path.exists() or path.is_symlink()):
            continue
        read = path.resolve()
        if read == out or out in read.parents:
            where = "is" if read == out else "lies inside"
            raise ConfigError(f"{field}: {named} {where} --out {out_dir}, which train "
                              f"replaces; move it out first")
