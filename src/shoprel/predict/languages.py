"""A row's language tag as a run knows it: 'fr-FR' is scored as 'fr' by a run whose training
rows were tagged 'fr' (and none 'fr-FR'), instead of as a language it never saw."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from shoprel.data.frame import PairFrame
from shoprel.data.language_tags import base_language, canonical_tag


def moved_tags(languages, known: set[str] | None) -> dict[str, str]:
    """Each tag the training rows lacked, mapped to the one they had: the same tag as every
    command reads it (canonical_tag: 'pt_br' for a run whose metrics list 'pt-br', 'vi' for a
    run trained before 'vn' was read as 'vi'), else its base language ('pt-BR' → 'pt'), else
    the only tag of that base they had ('pt', 'pt-PT' → 'pt-BR' for a run trained on 'pt-BR'
    alone: its Portuguese was called a language absent from the training file). A tag they
    had stays, so a run trained on both 'pt-BR' and 'pt-PT' keeps them apart, and scores 'pt'
    as neither. `known`: the tags the run trained on (Predictor.trained_tags: its training
    languages and its translated copies' tags; None: nothing moves)."""
    if not known:
        return {}
    moved, by_base, by_tag = {}, {}, {}
    for tag in sorted(known):
        by_base.setdefault(base_language(tag), []).append(tag)
        by_tag.setdefault(canonical_tag(tag), tag)
    for tag in pd.unique(pd.Series(languages, dtype=object)):
        if tag not in known:
            base = base_language(tag)
            only = by_base[base][0] if len(by_base.get(base, ())) == 1 else None
            for alias in (by_tag.get(canonical_tag(tag)), base, only):
                if alias in known:
                    moved[tag] = alias
                    break
    return moved


def as_trained(languages, known: set[str] | None) -> pd.Series:
    """The tags as the run scores them (moved_tags applied)."""
    languages = pd.Series(languages, dtype=object)
    moved = moved_tags(languages, known)
    return languages.replace(moved) if moved else languages


def frame_as_trained(frame: PairFrame, known: set[str] | None) -> PairFrame:
    """The frame with its language column as the run scores it (itself when nothing moves)."""
    moved = moved_tags(frame.df["language"], known)
    if not moved:
        return frame
    df = frame.df.assign(language=frame.df["language"].replace(moved))
    return PairFrame(frame.task, df, frame.source, frame.stats)


def unseen_counts(languages, known: set[str] | None) -> Counter:
    """Rows per tag neither the training rows had nor scored as one they had (as_trained)."""
    if known is None:
        return Counter()
    return unseen_as_trained(as_trained(languages, known), known)


def unseen_as_trained(trained, known: set[str] | None) -> Counter:
    """unseen_counts of tags already mapped (as_trained, frame_as_trained): a caller that
    scores the mapped frame counts from it rather than mapping the tags again."""
    if known is None:
        return Counter()
    return Counter(tag for tag in trained if tag not in known)


def translated_only_tags(tags, translated: set[str]) -> list[str]:
    """Of these tags (ones the run's evaluated rows lacked), those of a language it trained on
    only as translated rows (`translated`: the languages augment.translate brought), directly
    or as moved_tags would read them ('th-th' for 'th')."""
    if not tags or not translated:
        return []
    moved = moved_tags(list(tags), translated)
    return [tag for tag in tags if tag in translated or tag in moved]


def translated_only_members(tags, some: dict[str, list[str]]) -> dict[str, list[str]]:
    """Of these tags, those of a language only some of an ensemble's members trained on as
    translated rows (`some`: {language: those members}), each with those members, a tag read
    as translated_only_tags reads it ('th-th' as 'th')."""
    if not tags or not some:
        return {}
    moved = moved_tags(list(tags), set(some))
    return {tag: some[tag if tag in some else moved[tag]] for tag in tags
            if tag in some or tag in moved}
