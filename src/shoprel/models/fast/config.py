"""The fast model's params: the lexical and booster sections, and whether to stack at all."""

from __future__ import annotations

from shoprel.models.boosted import FeatureModelConfig


class FastConfig(FeatureModelConfig):
    stack: bool = True  # LightGBM on the lexical features; off: the linear score alone
    word_match: bool = True  # (QI) the query's words in the title (lexical/word_match.py)
