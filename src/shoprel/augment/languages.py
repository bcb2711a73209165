"""Language-code conventions: ours (ISO 639-1, as the data tags rows) and the backends'."""

from __future__ import annotations

from collections.abc import Mapping

from shoprel.data.validate import UNKNOWN_LANGUAGE

# ISO 639-3 (Apertium's newer pair names) → ISO 639-1 (our tags).
ISO3_TO_ISO1 = {
    "eng": "en", "spa": "es", "fra": "fr", "por": "pt", "ita": "it", "cat": "ca", "glg": "gl",
    "deu": "de", "nld": "nl", "pol": "pl", "rus": "ru", "ukr": "uk", "ron": "ro", "eus": "eu",
    "oci": "oc", "arg": "an", "ast": "ast", "srd": "sc", "afr": "af", "isl": "is", "mkd": "mk",
    "bel": "be", "epo": "eo", "kor": "ko", "jpn": "ja", "tha": "th", "ara": "ar", "vie": "vi",
    "tur": "tr", "heb": "he", "ind": "id", "zlm": "ms", "zho": "zh", "hbs": "sh",
}

# Tags a data set writes for a language whose ISO 639-1 code is another: the competition's QI
# files tag Vietnamese 'vn' (a country code), which no backend nor the language detector knows.
TAG_ALIASES = {"vn": "vi"}

# NLLB-200 codes (script-tagged) for the languages the competition has and their neighbours.
NLLB_CODES = {
    "en": "eng_Latn", "es": "spa_Latn", "fr": "fra_Latn", "pt": "por_Latn", "it": "ita_Latn",
    "de": "deu_Latn", "nl": "nld_Latn", "pl": "pol_Latn", "ru": "rus_Cyrl", "uk": "ukr_Cyrl",
    "ja": "jpn_Jpan", "ko": "kor_Hang", "th": "tha_Thai", "ar": "arb_Arab", "vi": "vie_Latn",
    "tr": "tur_Latn", "he": "heb_Hebr", "id": "ind_Latn", "ms": "zsm_Latn", "zh": "zho_Hans",
    "ca": "cat_Latn", "gl": "glg_Latn", "ro": "ron_Latn", "cs": "ces_Latn", "sv": "swe_Latn",
    "hi": "hin_Deva", "fa": "pes_Arab", "el": "ell_Grek", "hu": "hun_Latn", "fi": "fin_Latn",
    "da": "dan_Latn", "no": "nob_Latn", "bg": "bul_Cyrl", "uz": "uzn_Latn",
}


def by_rows(counts: Mapping[str, int]) -> list[str]:
    """The order every listing of languages takes (translate's and langid's tables, their
    messages, predict's warnings): most rows first, ties by code, and UNKNOWN_LANGUAGE (rows
    with no tag: no language) last. One order, so the same file's languages read alike
    whichever command lists them."""
    return sorted(counts, key=lambda lang: (lang == UNKNOWN_LANGUAGE, -counts[lang], lang))
