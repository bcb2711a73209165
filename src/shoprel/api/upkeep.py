"""The API's upkeep: the cache folder (`list_cache`, `prune_cache`) and a run's ONNX export
(`export_onnx`)."""

from __future__ import annotations

import numbers
from pathlib import Path

from shoprel.api.checks import real_number
from shoprel.api.wording import in_python_words
from shoprel.data.records import python_kind
from shoprel.errors import ConfigError
from shoprel.export.onnx import export_run
from shoprel.models.cache_inventory import KINDS
from shoprel.models.cache_upkeep import CacheListing, PruneResult
from shoprel.models.cache_upkeep import list_cache as _list_cache
from shoprel.models.cache_upkeep import prune_cache as _prune_cache
from shoprel.utils.arguments import flag_argument, path_argument
from shoprel.utils.bounds import not_a_count, not_finite, out_of_range
from shoprel.utils.scalars import is_boolean, python_scalar
from shoprel.utils.signals import stops_on_sigterm
from shoprel.utils.sizes import parse_size

__all__ = ["export_onnx", "list_cache", "prune_cache"]


@in_python_words
def list_cache(cache_dir: str | Path | None = None) -> CacheListing:
    """`shoprel cache list`: the cache folder (`cache_dir`, else $SHOPREL_CACHE, else
    ~/.cache/shoprel) and every entry shoprel wrote there, with its kind, size, age and why it
    is stale (None: in use, or not known); `listing.stale` is what `prune_cache(stale=True)`
    frees."""
    return _list_cache(None if cache_dir is None else path_argument(cache_dir, "cache_dir"))


@in_python_words
@stops_on_sigterm
def prune_cache(cache_dir: str | Path | None = None, stale: bool = False,
                kinds: list[str] | None = None, older_than: float | None = None,
                keep_under: str | int | None = None, dry_run: bool = False) -> PruneResult:
    """`shoprel cache prune`: remove the entries meeting every condition given (at least one):
    `stale=True`, `kinds` (e.g. `["embeddings", "states"]`), `older_than` (days unused),
    `keep_under` (a size such as "20G", or bytes: the least recently used go until the cache
    fits; built backbones and exports only when `kinds` names them). `result.chosen` is what
    went (or would, `dry_run=True`), `result.kept` why the cache stays over `keep_under`."""
    return _prune_cache(None if cache_dir is None else path_argument(cache_dir, "cache_dir"),
                        stale=flag_argument(stale, "stale"), kinds=_kinds(kinds),
                        older_than_days=_days(older_than, "older_than"),
                        keep_under=_size(keep_under, "keep_under"),
                        dry_run=flag_argument(dry_run, "dry_run"))


def _kinds(kinds) -> tuple[str, ...]:
    """Kinds of cache entry, as a list (or one kind)."""
    if kinds is None:
        return ()
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list | tuple | set | frozenset):
        raise ConfigError(f"kinds: {python_kind(kinds)} is not a list of kinds of entry")
    for kind in kinds:
        if kind not in KINDS:
            raise ConfigError(f"kinds: {kind!r} is no kind of cache entry; use some of "
                              f"{', '.join(KINDS)}")
    return tuple(kinds)


def _days(value, name: str) -> float | None:
    """A number of days, 0 or more (nan and inf choose nothing: no entry is older than for
    ever), refused as `cache prune --older-than` refuses it (utils/bounds.py)."""
    if value is None:
        return None
    days = real_number(value, name, "days unused")
    shown = repr(python_scalar(value))  # -1 as given, not as the float it is read as
    problem = not_finite(days, shown) or out_of_range(days, shown, ge=0)
    if problem:
        raise ConfigError(f"{name}: {problem}")
    return days


def _size(value, name: str) -> int | None:
    """Bytes, given as a whole number or a size written as the command takes it ("20G")."""
    if value is None:
        return None
    value = python_scalar(value)
    if isinstance(value, str):
        try:
            return parse_size(value)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    if is_boolean(value) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}: expected a size such as '20G' or a number of bytes, got "
                          f"{value!r}")
    problem = not_a_count(value)  # -5 or 5.0 bytes: said as an integer option says them
    if problem:
        raise ConfigError(f"{name}: {problem}")
    return value


@in_python_words
@stops_on_sigterm
def export_onnx(run_dir: str | Path, int8: bool = False, int8_weights: str | None = None,
                progress: bool = True) -> list[Path]:
    """`shoprel export --onnx`: each cross-encoder of the run (folds and full) exported to
    ONNX beside its weights, so that `predict_file`, `Scorer` and serve score it with
    onnxruntime; `int8=True` quantises it too (then int8 is used), `int8_weights` "uint8"
    (the default) or "int8". Returns the `onnx/` folders written."""
    if int8_weights is not None and not isinstance(int8_weights, str):
        raise ConfigError(f"int8_weights: {python_kind(int8_weights)} is not 'uint8' or 'int8'")
    return export_run(path_argument(run_dir, "run_dir"), int8=flag_argument(int8, "int8"),
                      int8_weights=int8_weights, progress=flag_argument(progress, "progress"))
