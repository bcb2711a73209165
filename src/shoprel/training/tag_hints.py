"""A hint at training time for rows tagged with a country code that is also a language's
('kr' is Kanuri): a model learns them as that language, and predict's new-language warning
gives the same hint only once test rows are tagged otherwise. A note, likewise, for rows
tagged with no language code at all ('xx'), from train and from predict: both are notes
--quiet leaves out, as the rows are trained and scored as tagged and no figure of the run
misses them (the warnings --quiet keeps do)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from shoprel.augment.languages import by_rows
from shoprel.data.language_tags import known_base, tag_hint
from shoprel.data.validate import UNKNOWN_LANGUAGE

SHOWN = 8  # tags named before "..."


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


def unknown_tags_note(counts: Mapping[str, int], file, done: str = "trained") -> str | None:
    """One `note:` line for the rows whose tag names no language code (known_base: 'xx',
    'mixed'), e.g. "note: train.jsonl tags 10 rows with no language code (xx 10): ...", or
    None. `counts`: rows per tag as read, of a training file (`done` "trained") or a file
    predict scored ("scored"). Such a tag is trained, or scored, without a word, as a
    language of its own; predict warns of a language absent from the training file, not of
    one present under a tag of no language. Not an error: a tag may be the user's own."""
    unknown = {tag: rows for tag, rows in counts.items()
               if rows and tag != UNKNOWN_LANGUAGE and not known_base(tag)}
    if not unknown:
        return None
    tags = by_rows(unknown)
    said = ", ".join(f"{tag} {unknown[tag]:,}" for tag in tags[:SHOWN])
    rows = sum(unknown.values())
    return (f"note: {file} tags {rows:,} row{'' if rows == 1 else 's'} with no "
            f"language code ({said}{', ...' if len(tags) > SHOWN else ''}): each tag is "
            f"{done} as a language of its own; write ISO 639 codes ('en', 'pt-BR') where they "
            "are languages")
