"""One reading of a language tag at every door: spellings of one tag are one tag."""

from __future__ import annotations

from shoprel.data.language_tags import (
    ISO3_TO_ISO1,
    ISO_639_1,
    LANGUAGE_NAMES,
    MISTAKEN_TAGS,
    TAG_ALIASES,
    base_language,
    canonical_tag,
    known_base,
    tag_hint,
)
from shoprel.data.readers import read_pairs


def test_spellings_of_one_tag_read_as_one_tag_and_a_region_stays_a_region(tmp_path, jsonl):
    """Files kept 'pt-br' and 'pt_br' (lower-cased only) as two languages, beside 'pt', so a
    run's per-language figures and cuts split one market in three; 'vn' stayed 'vn' while
    translate and langid read it as 'vi'."""
    tags = ["pt", "PT", "pt-br", "pt_BR", "PT-Br", "vn", "VN", "por", "", "zh_hant_tw", "es-419"]
    rows = [{"id": i, "language": tag, "origin_query": f"q{i}", "category_path": "a,b"}
            for i, tag in enumerate(tags)]
    frame = read_pairs(jsonl(tmp_path / "rows.jsonl", rows))
    assert frame.df["language"].tolist() == [
        "pt", "pt", "pt-BR", "pt-BR", "pt-BR", "vi", "vi", "pt", "unk", "zh-Hant-TW", "es-419"]


def test_country_codes_are_read_as_their_language_only_when_no_language_owns_them():
    assert [canonical_tag(t) for t in ("jp", "cn-TW", "gr", "dk", "cz", "ua")] == [
        "ja", "zh-TW", "el", "da", "cs", "uk"]
    # 'kr' is Kanuri's code and 'se' Northern Sami's: read as written, with a hint
    assert [canonical_tag(t) for t in ("kr", "se", "br", "uk")] == ["kr", "se", "br", "uk"]
    assert tag_hint("KR") == "'kr' is Kanuri; Korean is 'ko'"
    assert tag_hint("br") == "'br' is Breton; Brazilian Portuguese is 'pt-BR'"
    assert tag_hint("ko") is None and tag_hint(None) is None
    assert [base_language(t) for t in ("pt_BR", "spa", None, " ")] == ["pt", "es", "", ""]


def test_a_language_written_by_its_name_is_read_as_its_code(tmp_path, jsonl):
    """A spreadsheet's language column of names ("English", "Spanish") was read as the tags
    'english' and 'spanish': languages of their own beside the coded rows, every coded test
    file's language new to the run. Names, in English or their own language, read as codes;
    a region after a name stays a region."""
    tags = ["English", "SPANISH", "es", "Español", "日本語", "Portuguese-BR", "Klingon"]
    rows = [{"id": i, "language": tag, "origin_query": f"q{i}", "category_path": "a,b"}
            for i, tag in enumerate(tags)]
    frame = read_pairs(jsonl(tmp_path / "rows.jsonl", rows))
    assert frame.df["language"].tolist() == ["en", "es", "es", "es", "ja", "pt-BR", "klingon"]


def test_a_withdrawn_code_is_read_as_the_one_that_replaced_it(tmp_path, jsonl):
    """Java's Locale writes Hebrew 'iw' and Indonesian 'in': 'iw' rows were a language of
    their own beside 'he' rows, so a run trained on one called the other absent from its
    training file (and an embed run scored it with its unseen-language booster), and 'jw'
    (Javanese) was noted as no language code. Each is read as its successor, a region or
    script kept; 'sh' and 'bh', split into several languages, stay as written."""
    tags = ["iw", "IW_il", "he", "in", "in-ID", "ji", "jw", "JW", "mo", "mo_MD", "sh", "bh"]
    rows = [{"id": i, "language": tag, "origin_query": f"q{i}", "category_path": "a,b"}
            for i, tag in enumerate(tags)]
    frame = read_pairs(jsonl(tmp_path / "rows.jsonl", rows))
    assert frame.df["language"].tolist() == [
        "he", "he-IL", "he", "id", "id-ID", "yi", "jv", "jv", "ro", "ro-MD", "sh", "bh"]
    assert [base_language(t) for t in ("iw-IL", "in_ID", "zh_Hant", "pt-BR")] == [
        "he", "id", "zh", "pt"]
    assert all(known_base(tag) for tag in tags)  # 'jw' was said to be no language code
    assert not {"iw", "in", "ji", "jw", "mo"} & ISO_639_1  # never a tag's base once read


def test_every_language_shoprel_names_is_a_known_code():
    """known_base's list holds every language the tags are read as (an alias, a name, an ISO
    639-3 code) and the codes translate's backends know; 'xx' and a name it does not map are
    none."""
    from shoprel.augment.languages import NLLB_CODES

    assert len(ISO_639_1) == 185  # 183 codes, and 'sh' and 'bh' (withdrawn, no one successor)
    named = {*TAG_ALIASES.values(), *LANGUAGE_NAMES.values(), *ISO3_TO_ISO1.values(),
             *NLLB_CODES, *MISTAKEN_TAGS, *(meant for _, meant, _ in MISTAKEN_TAGS.values())}
    assert [tag for tag in named if not known_base(tag)] == []
    assert [known_base(tag) for tag in ("xx", "XX-yy", "swahili", "", "e", "q1", "Sw")] == [
        False, False, False, False, False, False, True]
