"""Lexical features (hashed tokens, label rates, overlap) shared by the feature-model families."""

from shoprel.models.lexical.component import LexicalFeatures, LexicalParams, sigmoid

__all__ = ["LexicalFeatures", "LexicalParams", "sigmoid"]
