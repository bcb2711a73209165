"""What a run config names for train (or the run it writes) to read, kept apart from the run
folder train writes.

`train --overwrite` replaces its --out folder whole, once the fits are done: a stage-0 file,
a flagged-ids file, a translation table or model, or a backbone folder read from inside that
folder (a fine-tuned run's own models/full/hf as the backbone of its retraining, a file left in
an older run's models/, which the --overwrite guard cannot tell from the run's own files) was
lost with it, and the new run named a path that now held other bytes or nothing. So was the
translator the run records (data.translator's table, model or existing SQLite cache, which
serve translates new queries with): train does not read it, but the run names it. Its cache,
which serve makes and writes, is refused inside --out even before it exists: serve refuses a
cache inside a run (it became a file there that the run's next --overwrite refused). The training
file is kept so by check_output_dir's `reads`; these are named only in the config, so they are
checked here, before any work, each said at its config field. A run written inside a folder
the config names is refused too: a backbone's fingerprint hashes every weight file below it,
the run's own included. augment.cache, which train writes, is checked with the other outputs
(runner.check_augment_cache: refused inside --out whether or not it exists yet).
"""

from __future__ import annotations

from pathlib import Path

from shoprel.errors import ConfigError
from shoprel.training.config import RunConfig
from shoprel.utils.outputs import at_or_below
from shoprel.utils.path_limits import expanded_usable
from shoprel.utils.shoprel_folders import occupied

# serve's translation cache, which serve creates and writes: refused inside a folder shoprel
# wrote (serve/translation.check_recorded_cache), so inside --out whether or not it exists yet
SERVE_CACHE = "data.translator.cache"


def _backbones(params: dict) -> list[str]:
    """A family's backbone param as a list of names (embed takes a list)."""
    named = params.get("backbone")
    if isinstance(named, str):
        return [named]
    if isinstance(named, list | tuple):
        return [name for name in named if isinstance(name, str)]
    return []


def named_inputs(config: RunConfig) -> list[tuple[str, str]]:
    """(config field, path) of every file or folder train reads because the config names it:
    the stage-0 files, noise.flagged, the translation table or model augment.translate reads,
    each backbone of the run and of its carried student that is not a built-in (a local
    folder, or a hub id, which names no existing path), and the recorded translator's table,
    model and cache (data.translator), which the run names for serve to read. stage0.params
    can name no other backbone than the run's (its config check)."""
    named = [("stage0.data", file) for file in config.stage0.files]
    if config.noise.flagged is not None:
        named.append(("noise.flagged", config.noise.flagged))
    augment = config.augment
    if augment.translate:  # else neither is read
        named += [(f"augment.{key}", value) for key, value in
                  (("table", augment.table), ("model", augment.model)) if value is not None]
    recorded = config.data.translator
    if recorded is not None:  # a cache not made yet is checked inside --out alone
        named += [(f"data.translator.{key}", value) for key, value in
                  (("table", recorded.table), ("model", recorded.model),
                   ("cache", recorded.cache)) if value is not None]
    backbones = [("model.params.backbone", config.model.params)]
    if config.student is not None:
        backbones.append(("student.model.params.backbone", config.student.model.params))
    folders = [(field, name) for field, params in backbones for name in _backbones(params)]
    if folders:
        from shoprel.models.backbones.resolve import BUILTINS

        named += [(field, name) for field, name in folders if name not in BUILTINS]
    return named


def check_inputs_outside(config: RunConfig, out_dir: str | Path, command: str = "train") -> None:
    """Refuse a config whose inputs lie inside (or are) the run folder `out_dir`, or hold it;
    one that does not exist is left to its reader, which says so. `command`: the one writing
    `out_dir` (distill checks its student's config before the teacher's refits)."""
    out = Path(out_dir).expanduser().resolve()
    for field, named in named_inputs(config):
        path = Path(expanded_usable(named, field, ConfigError))  # `~name` of no user: a traceback
        if not occupied(path):
            if field == SERVE_CACHE and at_or_below(path.resolve(), out):
                raise ConfigError(f"{field}: {named} lies inside --out {out_dir}: serve would "
                                  "make it there, and serve refuses a cache inside a run; name "
                                  "one outside the run")
            continue
        read = path.resolve()
        if at_or_below(read, out):
            where = "is" if read == out else "lies inside"
            raise ConfigError(f"{field}: {named} {where} --out {out_dir}, which {command} "
                              "replaces; move it out first")
        if at_or_below(out, read):
            reader = ("the run's translator reads" if field.startswith("data.translator.")
                      else f"{command} reads")
            raise ConfigError(f"{field}: --out {out_dir} lies inside {named}, which "
                              f"{reader}; writing there would change it, choose an output "
                              "outside it")
