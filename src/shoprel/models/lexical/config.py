"""The lexical component's params, a section nested in the feature families' configs."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shoprel.models.config import QUERY_TEMPLATE, Section, Seed, TranslationTemplate


class LexicalConfig(Section):
    n_features: Annotated[int, Field(ge=2**10, le=2**26)] = 2**20  # hashed feature columns
    C: Annotated[float, Field(gt=0)] = 4.0  # inverse regularisation of the linear model
    inner_folds: Annotated[int, Field(ge=2)] = 4  # for the fitted rows' honest features
    prior_smoothing: Annotated[float, Field(ge=0)] = 20.0  # label rates' pseudo-count
    group_levels: Annotated[int, Field(ge=1)] = 3  # inner folds group QC by this many levels


class LexicalParams(LexicalConfig):
    """What the component runs with (and saves): its section plus how the family reads
    queries and its seed."""

    use_translation: bool = True
    translation_template: TranslationTemplate = QUERY_TEMPLATE
    seed: Seed = 42

    @classmethod
    def of(cls, config) -> LexicalParams:
        """From a feature family's validated config (`lexical_features` section, seed)."""
        return cls(**config.lexical_features.model_dump(), seed=config.seed,
                   use_translation=config.use_translation,
                   translation_template=config.translation_template)
