"""Language-code conventions: the backends' (NLLB's codes) and the order languages are listed in;
how a tag is read is data/language_tags.py's."""

from __future__ import annotations

from collections.abc import Mapping

from shoprel.data.validate import UNKNOWN_LANGUAGE

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
