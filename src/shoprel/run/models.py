"""A run's saved models loaded (a broken folder is one RunDirError line) and averaged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from shoprel.errors import BackboneChangedError, RunDirError, ShoprelError, one_line_reason
from shoprel.models.base import RelevanceModel


def load_model(folder: Path) -> RelevanceModel:
    """A saved model, or one RunDirError line naming the folder when its files are broken
    (truncated weights, a LightGBM or safetensors file that will not parse, unknown params).
    A backbone changed since training (an LLM checks it as it loads) is no broken folder: it
    passes as it is, for the run's config_named to say at its config.yaml line, with the fix."""
    try:
        with saved_model_loading(folder):
            return RelevanceModel.load(folder)
    except BackboneChangedError:
        raise
    except ShoprelError as exc:  # also e.g. params the family's config refuses: a broken folder
        raise RunDirError(str(exc) if str(folder) in str(exc) else f"{folder}: {exc}") from None


@contextlib.contextmanager
def saved_model_loading(folder: Path) -> Iterator[None]:
    """A library failing on a saved model's files (truncated weights, a config it cannot
    parse) is one RunDirError line naming the folder; shoprel's own errors pass through."""
    try:
        yield
    except ShoprelError:
        raise
    except Exception as exc:  # noqa: BLE001 (each library fails its own way on a broken file)
        raise RunDirError(f"{folder}: cannot load the saved model ({one_line_reason(exc)})"
                          ) from None


def mean_positive_probability(models: list[RelevanceModel], frame) -> np.ndarray:
    """Average of the models' positive-class probabilities (fold models vote softly)."""
    total = np.zeros(len(frame))
    for model in models:
        total += model.predict_proba(frame)[:, 1]
    return total / len(models)
