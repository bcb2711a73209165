"""Build a translator by name, wrapped in the persistent cache when a path is given."""

from __future__ import annotations

import os
from pathlib import Path

from shoprel.augment.cache import CachedTranslator
from shoprel.augment.progress import SLOW_BACKENDS, ProgressTranslator
from shoprel.augment.translator import Translator
from shoprel.errors import ConfigError

BACKENDS = ("apertium", "table", "hf")


def translator_key(backend: str, table: str | Path | None = None,
                   model: str | Path | None = None, cache: str | Path | None = None) -> tuple:
    """What tells two translators of a backend apart (its table, model and cache, as resolved
    paths): callers that need several share one per key, so the backend hears each query
    once for all of them, and a run's records compare as the same where they name one
    file two ways."""
    return (backend, *(None if path is None else str(Path(path).resolve())
                       for path in (table, model, cache)))


def make_translator(backend: str, cache: str | Path | None = None, table: str | Path | None = None,
                    model: str | Path | None = None, progress: bool | None = None,
                    **options) -> Translator:
    """'apertium' (offline rules), 'table' (a file of translations), 'hf' (a seq2seq model).
    progress: False never draws a bar, True for any work, None from PROGRESS_MIN texts on.
    A `~` in the cache, table or model path is the home folder, as a shell would read it (a
    config's `model: ~/nllb` was taken for a hub id); a hub id is kept as given."""
    cache = None if cache is None else Path(cache).expanduser()
    table = None if table is None else Path(table).expanduser()
    model = None if model is None else os.path.expanduser(model)
    if backend == "apertium":
        from shoprel.augment.apertium import ApertiumTranslator

        inner: Translator = ApertiumTranslator(**options)
    elif backend == "table":
        if table is None:
            raise ConfigError("the table backend needs a translations file (--table PATH)")
        from shoprel.augment.table import TableTranslator

        inner = TableTranslator(table)
    elif backend == "hf":
        if model is None:
            raise ConfigError("the hf backend needs a model folder or id (--model PATH)")
        from shoprel.augment.hf import HFTranslator

        inner = HFTranslator(model, **options)
    else:
        raise ConfigError(f"unknown translation backend {backend!r}: use one of {BACKENDS}")
    slow = SLOW_BACKENDS.get(backend, {})
    if cache is None:  # the cache draws the bar when there is one; else this wrapper does
        return inner if progress is False else ProgressTranslator(inner, progress=progress,
                                                                  **slow)
    return CachedTranslator(inner, cache, progress=progress, **slow)
