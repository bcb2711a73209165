"""The contract every model family follows (families are looked up in registry.py).

scikit-learn style: hyperparameters in __init__, fit(frame) returns self, predict_proba(frame)
gives an (n, 2) array, save(folder)/load(folder) use config JSON plus plain array or library
files, never pickle, so loading a run from elsewhere runs no code.
"""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

from pydantic import ConfigDict, ValidationError, create_model

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError, RunDirError
from shoprel.models.registry import model_class

MODEL_CONFIG = "model.json"


class RelevanceModel:
    family: ClassVar[str] = ""

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in inspect.signature(type(self)).parameters}

    def fit(self, frame: PairFrame) -> RelevanceModel:
        raise NotImplementedError

    def predict_proba(self, frame: PairFrame):
        raise NotImplementedError

    def start_from(self, folder: str | Path) -> RelevanceModel:
        """Begin the next fit from a saved model of this family (stage 0: the other task).

        Families that fine-tune pretrained weights override this; the others cannot.
        """
        raise ConfigError(f"family {self.family} cannot start from a stage-0 model ({folder})")

    @classmethod
    def supports_start_from(cls) -> bool:
        """Whether the family overrides start_from (a config's `stage0` needs it)."""
        return cls.start_from is not RelevanceModel.start_from

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = {"family": self.family, "params": self.get_params(), "state": self._state()}
        (folder / MODEL_CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False))
        self._save_arrays(folder)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> RelevanceModel:
        folder = Path(folder)
        config_path = folder / MODEL_CONFIG
        if not config_path.is_file():
            raise RunDirError(f"{folder}: no {MODEL_CONFIG}; not a saved shoprel model")
        config = json.loads(config_path.read_text())
        family_cls = model_class(config["family"]) if cls is RelevanceModel else cls
        model = family_cls(**config["params"])
        model._restore(config.get("state", {}), folder)
        return model

    # Families override these three to store what fit learned.
    def _state(self) -> dict:
        return {}

    def _save_arrays(self, folder: Path) -> None:
        pass

    def _restore(self, state: dict, folder: Path) -> None:
        pass


def check_scoring_input(model: RelevanceModel, frame: PairFrame,
                        translated: bool = False) -> None:
    """Refuse rows of the other task; warn when a model that learned from translated queries
    gets none (it would score bare queries it never saw in that form)."""
    if frame.task is not model.task_:
        raise ValueError(f"model was trained for {model.task_.value}, got {frame.task.value}")
    if translated and "query_en" not in frame.df.columns:
        warnings.warn("the model was trained with translated queries but this input has no "
                      "translated_query column: run `shoprel translate` on it first",
                      stacklevel=3)


def validate_params(family: str, params: dict | None) -> dict:
    """Check a config's params against the family's __init__, naming any bad key."""
    cls = model_class(family)
    hints = get_type_hints(cls.__init__, include_extras=True)
    fields = {name: (hints.get(name, Any), p.default)
              for name, p in inspect.signature(cls).parameters.items()}
    schema = create_model(f"{cls.__name__}Params", __config__=ConfigDict(extra="forbid"),
                          **fields)
    try:
        return schema(**(params or {})).model_dump()
    except ValidationError as exc:
        problems = "; ".join(
            f"model.params.{'.'.join(str(x) for x in e['loc'])}: "
            f"{'unknown key' if e['type'] == 'extra_forbidden' else e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(problems) from None
