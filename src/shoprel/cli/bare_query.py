"""How predict and distill say which rows a run trained with translations scored on their bare
query, and why: one wording for both, so a fix to one is not missed in the other (distill
counted "unlabelled pair(s)" where predict counted rows)."""

from __future__ import annotations

from shoprel.cli.language_counts import language_counts
from shoprel.utils.counted_noun import counted_noun


def bare_query_reason(path, translation_column: bool) -> str:
    """Why `path`'s rows went untranslated: a file without the column wants `shoprel translate`;
    one it already went through left them empty (no route from their language), which
    translating again would not change."""
    if translation_column:
        return (f"{path} leaves their translated_query empty (`shoprel translate` does so where "
                "it has no route from a row's language)")
    return f"{path} has no translated_query column (run `shoprel translate` on it first)"


def bare_query_languages(languages: dict[str, int]) -> str:
    """The bare rows per language, rows of no language (read as 'unk') said as untagged, last."""
    return language_counts(languages, unknown_as="untagged")


def rows_said(n: int) -> str:
    """'1 row', '368 rows'."""
    return f"{n} {counted_noun(n, 'row')}"


def bare_query_said(path, languages: dict[str, int], translation_column: bool,
                    model: str) -> str:
    """The tail of both lines: "on the bare query (ko 15, ...): {model} was trained with
    translations and {why}"."""
    return (f"on the bare query ({bare_query_languages(languages)}): {model} was trained with "
            f"translations and {bare_query_reason(path, translation_column)}")
