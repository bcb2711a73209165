"""Rows per language as a warning says them: tags of one language ('de', 'de-DE') together, each
tag as every command reads it (data/language_tags.py), with a hint for a country code."""

from __future__ import annotations

import click

from shoprel.augment.languages import by_rows
from shoprel.data.language_tags import base_language, tag_hint
from shoprel.data.validate import UNKNOWN_LANGUAGE, language_tag

SHOWN = 8  # languages named before "..."


def by_language(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """The tags grouped by base language (base_language: 'de-DE' and 'de' are 'de'), each
    spelling of one tag counted as it ('de_de', 'de-DE'; 'vn' as 'vi'), in the order every
    language listing takes (augment.languages.by_rows: most rows first, ties by code), and so
    are the tags within a language."""
    groups: dict[str, dict[str, int]] = {}
    for tag, n in counts.items():
        tag = language_tag(tag)
        tags = groups.setdefault(base_language(tag) or tag, {})
        tags[tag] = tags.get(tag, 0) + n
    totals = {base: sum(tags.values()) for base, tags in groups.items()}
    return {base: {tag: groups[base][tag] for tag in by_rows(groups[base])}
            for base in by_rows(totals)}


def language_counts(counts: dict[str, int], unknown_as: str = UNKNOWN_LANGUAGE) -> str:
    """"xx 2, yy 1", the first SHOWN languages then "...". Tags of one base language are one
    entry, those other than the base named within it ('de 2 (de-DE 1)'): listed apart, 'de 1,
    de-DE 1' read as two languages. A tag alone is said as it is ('de-DE 3'). Rows of no
    language are said as `unknown_as` ('untagged') and, as in every listing, last: renamed
    before ordering, they sorted among the languages by their count."""
    said = []
    for base, tags in by_language(counts).items():
        if base == UNKNOWN_LANGUAGE:
            said.append(f"{unknown_as} {sum(tags.values())}")
        elif len(tags) == 1:
            said.extend(f"{tag} {n}" for tag, n in tags.items())
        else:
            within = ", ".join(f"{tag} {n}" for tag, n in tags.items() if tag != base)
            said.append(f"{base} {sum(tags.values())} ({within})")
    return ", ".join(said[:SHOWN]) + (", ..." if len(said) > SHOWN else "")


def tag_hints(tags) -> list[str]:
    """What to write instead of each of these tags that is probably a country code ("'kr' is
    Kanuri; Korean is 'ko'"), once each, in the order given."""
    return list(dict.fromkeys(hint for tag in tags if (hint := tag_hint(tag))))


def warn_naming_languages(text: str, tags, hinted: set[str] | None = None) -> None:
    """`warning: {text}` on stderr, then a `hint:` line for each of `tags` that is probably a
    country code (tag_hints): every warning that names languages gives them alike ('kr' rows
    scored bare were warned of with no word of 'ko'). `hinted`: hints an earlier warning of
    the same command printed, not said twice (this one's are added to it)."""
    click.echo(f"warning: {text}", err=True)
    hinted = set() if hinted is None else hinted
    for hint in tag_hints(tags):
        if hint not in hinted:
            hinted.add(hint)
            click.echo(f"hint: {hint}", err=True)
