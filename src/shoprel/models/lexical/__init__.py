"""Lexical features (hashed tokens, label rates, overlap) shared by the feature-model families."""

from shoprel.models.lexical.component import LexicalFeatures
from shoprel.models.lexical.config import LexicalConfig, LexicalParams

__all__ = ["LexicalConfig", "LexicalFeatures", "LexicalParams"]
