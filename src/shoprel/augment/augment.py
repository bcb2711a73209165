"""Training rows in languages the training data lacks, made by translating existing rows.

Training side only: an augmented row is a translation of a row that may sit in another fold,
so it must never reach validation folds or threshold tuning (see docs/translation.md).
"""

from __future__ import annotations

import pandas as pd

from shoprel.augment.translator import Translator, target_tag
from shoprel.data.frame import TRANSLATION, PairFrame
from shoprel.data.language_tags import base_language, canonical_tag
from shoprel.errors import ConfigError

AUGMENTED_COLUMN = "augmented"


def new_ids(existing: pd.Series, count: int, tag: str) -> list:
    """Ids no original row has: the next integers, or '<id>~<lang>'-style strings."""
    if count == 0:
        return []
    if pd.api.types.is_integer_dtype(existing):
        start = int(existing.max()) + 1 if len(existing) else 1
        return list(range(start, start + count))
    taken = set(existing.astype(str))
    ids, n = [], 0
    while len(ids) < count:
        n += 1
        candidate = f"aug-{tag}-{n}"
        if candidate not in taken:
            ids.append(candidate)
    return ids


def augment_translations(frame: PairFrame, targets: dict[str, str], translator: Translator,
                         include_original: bool = True,
                         tags: dict[str, str] | None = None) -> PairFrame:
    """Translate rows of language src into each new language: targets = {new: src}.

    {"it": "es"} makes Italian rows from the Spanish ones. Labels and targets are copied;
    rows whose query has no route, or is empty (never sent), are left out. A new language
    written with a region ({"pt-BR": "es"}) is asked of the backend as such (Apertium's
    es-pt_BR where installed, as `translate --to pt-BR`), and its rows are tagged as written
    ('pt-BR', canonical_tag), as a file's pt-BR rows are read: the model learns them as the
    language its test rows name. `tags`: another tag for a key's copies (a refit of a run
    that tagged its pt-BR copies 'pt', AugmentConfig.copy_tags). Originals come first,
    augmented=False. The frame's stats count the copies (`augmented`) and, per tag,
    `translated`.
    """
    df = frame.df
    pieces, taken, made_per_language = [], df["id"], {}
    for new_lang, source in targets.items():
        asked = target_tag(new_lang)  # 'pt-br': the backend's regional pair, if it has one
        if base_language(new_lang) == base_language(source):
            raise ConfigError(f"augmentation target {base_language(new_lang)!r} is its own "
                              "source")
        new_lang = (tags or {}).get(new_lang) or canonical_tag(new_lang)
        source = base_language(source)
        rows = df[df["language"].map(base_language) == source]
        # an empty query is never sent (`shoprel translate` sends none either): whatever a
        # backend answers to it ('', None, or a model's invention) is no translation of it
        rows = rows[rows["query"].astype(str).str.strip() != ""]
        if rows.empty:
            continue
        queries = rows["query"].astype(str).tolist()
        outputs = translator.translate(queries, [source] * len(queries), asked)
        keep = [kept_translation(o) for o in outputs]
        made = rows[keep].copy()
        made["query"] = [o for o, k in zip(outputs, keep, strict=True) if k]
        made["language"] = new_lang
        if TRANSLATION in made.columns:  # the source row's English stays right for its copy
            made[TRANSLATION] = rows.loc[keep, TRANSLATION].to_numpy()
        made["id"] = new_ids(taken, len(made), new_lang)
        taken = pd.concat([taken, made["id"]], ignore_index=True)
        made[AUGMENTED_COLUMN] = True
        pieces.append(made)
        if len(made):
            made_per_language[new_lang] = made_per_language.get(new_lang, 0) + len(made)
    original = df.assign(**{AUGMENTED_COLUMN: False})
    parts = ([original] if include_original else []) + pieces
    out = pd.concat(parts, ignore_index=True) if parts else original.iloc[:0]
    stats = dict(frame.stats, augmented=int(sum(len(p) for p in pieces)),
                 translated=made_per_language)
    return PairFrame(frame.task, out, frame.source, stats)


def kept_translation(output: str | None) -> bool:
    """Whether a backend's answer is a translation a copy is made of: None is no route, and
    an empty answer no query."""
    return output is not None and output.strip() != ""
