"""Pretrained encoder backbones: built-in (offline), local folders and Hugging Face ids."""

from shoprel.models.backbones.cache import cache_root
from shoprel.models.backbones.encoder import Encoder
from shoprel.models.backbones.resolve import (
    BUILTINS,
    Backbone,
    builtin_folder,
    resolve_backbone,
)
from shoprel.models.backbones.torch_load import load_backbone

__all__ = ["BUILTINS", "Backbone", "Encoder", "builtin_folder", "cache_root", "load_backbone",
           "resolve_backbone"]
