"""Translation, language identification and translation-based augmentation of pair files."""

from shoprel.augment.augment import augment_translations
from shoprel.augment.backends import make_translator
from shoprel.augment.cache import CachedTranslator
from shoprel.augment.langid import detect_languages, langid_file
from shoprel.augment.translate_file import translate_file, translate_queries
from shoprel.augment.translator import TranslationError, Translator

__all__ = ["CachedTranslator", "TranslationError", "Translator", "augment_translations",
           "detect_languages", "langid_file", "make_translator", "translate_file",
           "translate_queries"]
