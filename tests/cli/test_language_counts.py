import re
from pathlib import Path

from shoprel.cli.bare_query import bare_query_languages
from shoprel.cli.language_counts import by_language, language_counts, tag_hints


def test_tags_of_one_language_are_one_entry():
    """predict's warning listed 'de 1, de-de 1' as if two languages."""
    assert language_counts({"de": 1, "de-DE": 1}) == "de 2 (de-DE 1)"
    assert language_counts({"xx": 2, "de-DE": 1, "de-AT": 2}) == "de 3 (de-AT 2, de-DE 1), xx 2"
    assert list(by_language({"pt-BR": 1, "pt": 1, "xx": 1})) == ["pt", "xx"]


def test_spellings_of_one_tag_are_one_tag_as_every_command_reads_it():
    """'vn' stayed 'vn' here while translate and langid read it as 'vi', and 'pt_br' and
    'pt-br' were named apart within Portuguese ('pt 3 (pt-br 1, pt_br 1)')."""
    assert language_counts({"de-de": 3, "vn": 2}) == "de-DE 3, vi 2"
    assert language_counts({"vn": 1, "vi": 1}) == "vi 2"
    assert language_counts({"pt": 1, "pt-br": 1, "pt_br": 1}) == "pt 3 (pt-BR 2)"


def test_the_readme_s_grouped_tags_are_what_a_warning_says():
    """The README showed `de 2 (de-de 1)`, a tag lower-cased, where a warning says 'de-DE'."""
    readme = re.sub(r"\s+", " ", (Path(__file__).parents[2] / "README.md").read_text("utf-8"))
    said = language_counts({"de": 1, "de_de": 1})
    assert said == "de 2 (de-DE 1)"
    assert f"a `de` and a `de_de` row are `{said}`" in readme


def test_a_country_code_written_for_a_language_gets_a_hint():
    """'kr' (Kanuri's code, often written for Korean) was listed with no word of 'ko'."""
    assert tag_hints(["kr", "xx", "KR", "se"]) == [
        "'kr' is Kanuri; Korean is 'ko'", "'se' is Northern Sami; Swedish is 'sv'"]
    assert tag_hints(["ko", "de"]) == []


def test_nine_languages_show_eight():
    counts = {f"l{i}": 10 - i for i in range(9)}
    assert language_counts(counts) == ", ".join(f"l{i} {10 - i}" for i in range(8)) + ", ..."
    assert language_counts({**counts, "l0-XX": 1}).startswith("l0 11 (l0-XX 1), l1 9")


def test_untagged_rows_come_last_whatever_their_count():
    """predict's bare-query warning said 'ko 150, kr 20, untagged 10, de 6': renamed before
    ordering, untagged rows sorted among the languages; every listing puts them last."""
    counts = {"ko": 150, "kr": 20, "unk": 10, "de": 6}
    assert bare_query_languages(counts) == "ko 150, kr 20, de 6, untagged 10"
    assert language_counts({"unk": 9, "xx": 1}) == "xx 1, unk 9"
    assert language_counts({"unk": 9, "xx": 1}, unknown_as="untagged") == "xx 1, untagged 9"
