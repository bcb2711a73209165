"""augment.translate keys of one language that make the same copies: {pt: es, pt-BR: es}
with a backend that has no es -> pt-BR pair (table, hf, Apertium without es-pt_BR)
translates both into pt, so the run trains two identical copy sets under two tags."""

from __future__ import annotations

from shoprel.augment.translator import Translator, target_region
from shoprel.data.language_tags import base_language, canonical_tag


def innermost(translator: Translator) -> Translator:
    """The backend under its wrappers (AskedOnce, a cache, a progress bar), each of which
    keeps the one it wraps as `inner`."""
    while (inner := getattr(translator, "inner", None)) is not None:
        translator = inner
    return translator


def same_copies_notes(pairs: dict[str, str], translator: Translator, backend: str) -> list[str]:
    """One `note:` per source language whose copies under two or more keys of one language
    are the same text: each key translated into the base language (its own, or a region the
    backend has no pair for). `pairs`: augment.translate as asked ({new: source});
    `backend`: its name as the config gives it."""
    inner = innermost(translator)
    unmet_region = getattr(inner, "unmet_region", None)
    into_base: dict[tuple[str, str], list[str]] = {}
    why: dict[tuple[str, str], list[str]] = {}
    for new, source in pairs.items():
        key = (base_language(source), base_language(new))
        if target_region(new):
            if unmet_region is None:  # reads base languages only
                reason = f"the {backend} backend has no regional variants"
            elif (used := unmet_region(key[0], new)) is not None:
                reason = (f"the {backend} backend has no {used}_"
                          f"{canonical_tag(new).partition('-')[2]} pair installed")
            else:  # the regional pair: its own text
                continue
            why.setdefault(key, []).append(reason)
        into_base.setdefault(key, []).append(canonical_tag(new))
    notes = []
    for (source, base), tags in into_base.items():
        if len(tags) < 2:
            continue
        reasons = "; ".join(dict.fromkeys(why[(source, base)]))
        sets, times = ("two", "twice") if len(tags) == 2 else (len(tags), f"{len(tags)} times")
        notes.append(f"note: augment.translate: the {' and '.join(tags)} copies of the "
                     f"{source} rows are the same text, all translated into {base} ({reasons}): "
                     f"{sets} identical copy sets under {len(tags)} tags, so each {source} row "
                     f"trains {times} as that text; keep one of those keys, or use a backend "
                     "with the regional pair")
    return notes
