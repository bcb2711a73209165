"""The one reading of a language tag, for every command: 'pt_br', 'PT-br' and 'pt-BR' are one
tag ('pt-BR'), 'por', 'PT' and 'Portuguese' are 'pt', a country code written for a language
('vn') is the language ('vi'), and a withdrawn code ('iw') the one that replaced it ('he').
Files, the API and serve read tags through it, so training, evaluate, the report, predict's
warnings, translate and langid count the same rows as one language."""

from __future__ import annotations

# ISO 639-3 (Apertium's newer pair names) → ISO 639-1 (our tags).
ISO3_TO_ISO1 = {
    "eng": "en", "spa": "es", "fra": "fr", "por": "pt", "ita": "it", "cat": "ca", "glg": "gl",
    "deu": "de", "nld": "nl", "pol": "pl", "rus": "ru", "ukr": "uk", "ron": "ro", "eus": "eu",
    "oci": "oc", "arg": "an", "ast": "ast", "srd": "sc", "afr": "af", "isl": "is", "mkd": "mk",
    "bel": "be", "epo": "eo", "kor": "ko", "jpn": "ja", "tha": "th", "ara": "ar", "vie": "vi",
    "tur": "tr", "heb": "he", "ind": "id", "zlm": "ms", "zho": "zh", "hbs": "sh",
}

# Country codes written as a language's (the competition's QI files tag Vietnamese 'vn'): only
# codes that are no ISO 639-1 language and name a country of one main language, so reading
# them as that language cannot take a real tag from anyone.
TAG_ALIASES = {"vn": "vi", "jp": "ja", "cn": "zh", "gr": "el", "cz": "cs", "dk": "da",
               "ua": "uk"}

# A language written by its name (a spreadsheet's "English", "Spanish", or the name in its own
# language): read as its code, so such a file's rows are counted, trained and scored with the
# same language's coded rows rather than as a language of their own ('english') that every
# coded test file then meets as new.
LANGUAGE_NAMES = {
    "english": "en", "spanish": "es", "french": "fr", "portuguese": "pt", "italian": "it",
    "german": "de", "dutch": "nl", "polish": "pl", "russian": "ru", "ukrainian": "uk",
    "japanese": "ja", "korean": "ko", "chinese": "zh", "arabic": "ar", "hebrew": "he",
    "turkish": "tr", "thai": "th", "vietnamese": "vi", "indonesian": "id", "malay": "ms",
    "español": "es", "français": "fr", "português": "pt", "deutsch": "de", "italiano": "it",
    "polski": "pl", "日本語": "ja", "한국어": "ko", "中文": "zh",
}

# Withdrawn ISO 639-1 codes with one successor, which Java's Locale and older logs still write:
# read as the code that replaced them, so a run trained on 'he' rows scores 'iw' rows as Hebrew
# rather than as a language it never saw, and a file of both counts one language. 'sh'
# (Serbo-Croatian) and 'bh' (Bihari) name several of today's languages, and stay as written.
LEGACY_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}

# Country codes that are also another language's code ('kr' is Kanuri): read as written, and
# named with the language probably meant wherever a tag is said to be unknown.
MISTAKEN_TAGS = {"kr": ("Kanuri", "ko", "Korean"), "se": ("Northern Sami", "sv", "Swedish"),
                 "br": ("Breton", "pt-BR", "Brazilian Portuguese")}


# ISO 639-1: every two-letter language code, with the withdrawn ones of no one successor that
# data still carries ('sh', ISO3_TO_ISO1's Serbo-Croatian; 'bh'); the others (LEGACY_CODES) are
# read as their successor, never a tag's base. A tag of another two-letter base ('xx') names no
# language (known_base).
ISO_639_1 = frozenset("""
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
    hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
    ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
    ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq sr
    ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu""".split())


def known_base(code: str | None) -> bool:
    """Whether a tag's language is a code: its base an ISO 639-1 code, or three letters (ISO
    639-2/3, some 7,000 codes such as 'fil' or 'yue', too many to list, so any three letters
    pass). 'xx', 'english2' or 'mixed' are no code: a user's own tag, or a mistake, which a
    model learns as a language of its own."""
    base = base_language(code)
    return base in ISO_639_1 or (len(base) == 3 and base.isascii() and base.isalpha())


def canonical_tag(code: str | None) -> str:
    """The tag as every command reads it: base language lower case (aliases and ISO 639-3
    read as ISO 639-1, a withdrawn code as its successor: 'iw_IL' → 'he-IL'), '-' between
    parts, a region upper case ('BR', '419'), a script title case ('Hant'), other variants
    lower case ('valencia'); '' for none or blank."""
    parts = [part for part in str(code or "").strip().replace("_", "-").split("-") if part]
    if not parts:
        return ""
    base = parts[0].lower()
    base = TAG_ALIASES.get(base, LEGACY_CODES.get(base, base))
    base = ISO3_TO_ISO1.get(base, LANGUAGE_NAMES.get(base, base))
    return "-".join([base, *(_subtag(part) for part in parts[1:])])


def _subtag(part: str) -> str:
    if len(part) == 2 or (len(part) == 3 and part.isdigit()):
        return part.upper()
    if len(part) == 4 and part.isalpha():
        return part.title()
    return part.lower()


def base_language(code: str | None) -> str:
    """The language of a tag, its region and variants left out ('pt-BR', 'por' → 'pt')."""
    return canonical_tag(code).partition("-")[0]


def tag_hint(code: str | None) -> str | None:
    """What to write instead of a tag that is probably a country code ('kr': Korean is
    'ko'), or None."""
    base = base_language(code)
    if base not in MISTAKEN_TAGS:
        return None
    language, meant, meant_language = MISTAKEN_TAGS[base]
    return f"'{base}' is {language}; {meant_language} is '{meant}'"
