"""A hint at training time for rows tagged with a country code that is also a language's
('kr' is Kanuri): a model learns them as that language, and predict's new-language warning
gives the same hint only once test rows are tagged otherwise."""

from __future__ import annotations

from collections import Counter

from shoprel.augment.languages import by_rows
from shoprel.data.language_tags import tag_hint


def training_tag_hints(languages, train_file) -> list[str]:
    """One `hint:` line per probably mistaken language of these tags (a training file's, as
    read), most rows first, e.g. "hint: train.jsonl tags 12 rows kr: 'kr' is Kanuri; Korean
    is 'ko'"."""
    counts = Counter(languages)
    tags: dict[str, list[str]] = {}  # hint -> its tags, most rows first
    for tag in by_rows(counts):
        if hint := tag_hint(tag):
            tags.setdefault(hint, []).append(tag)
    rows = {hint: sum(counts[tag] for tag in hinted) for hint, hinted in tags.items()}
    return [f"hint: {train_file} tags {rows[hint]:,} row{'' if rows[hint] == 1 else 's'} "
            f"{', '.join(tags[hint])}: {hint}" for hint in by_rows(rows)]
