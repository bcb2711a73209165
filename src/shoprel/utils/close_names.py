"""The name a misspelt key most likely stands for ('n_job' for 'n_jobs', 'qurey' for 'query'):
one rule for the keys of a request (serve/unknown_fields.py), of a config file
(models/config.py) and of pretrain's settings, so "did you mean" reaches the same names in all,
and for a file's column misspelled (data/column_hints.py, with a cutoff of its own)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher, get_close_matches

# how alike a key and a name must be (difflib's ratio): 'lang' for 'language' is 0.67, 'text'
# for 'query' 0.22
CLOSENESS = 0.6
# a key this short is alike many names by a letter or two: 'nope' is 0.67 of 'noise', as
# 'lang' is of 'language'. Below it, a name must be one letter off ('pair' for 'pairs', 'tsk'
# for 'task', 'qurey' for 'query': 0.75 and more) or begin with the key, or the key with it
# ('lang' for 'language', 'kk' for 'k')
SHORT = 6
SHORT_CLOSENESS = 0.75


def closest_name(key: str, names: Iterable[str] | Mapping[str, str],
                 cutoff: float = CLOSENESS) -> str | None:
    """The name `key` likely misspells, in any case, or None. `names`: the names, or a mapping
    of spellings to the name each stands for (a file's column name for a request's field);
    `cutoff`: how alike they must be at least (difflib's ratio)."""
    spellings = names if isinstance(names, Mapping) else {name: name for name in names}
    lowered = {spelling.lower(): name for spelling, name in spellings.items()}
    wanted = key.strip().lower()
    found = get_close_matches(wanted, list(lowered), n=max(len(lowered), 1), cutoff=cutoff)
    return next((lowered[spelling] for spelling in found if _short_enough(wanted, spelling)),
                None)


def _short_enough(key: str, spelling: str) -> bool:
    """A short key is taken for `spelling` only by the stricter rule SHORT says (the ratio as
    get_close_matches reckons it, the name first); a longer one by the cutoff alone."""
    if len(key) >= SHORT:
        return True
    return (SequenceMatcher(None, spelling, key).ratio() >= SHORT_CLOSENESS
            or spelling.startswith(key) or key.startswith(spelling))


def one_letter_off(key: str, name: str) -> bool:
    """Whether `key` is `name` with one letter dropped, added or changed, or two neighbours
    swapped, in any case: the typo the SHORT rule means, which a ratio misses in a name of
    three letters ('oyt' is 0.67 of 'out')."""
    key, name = key.lower(), name.lower()
    if abs(len(key) - len(name)) > 1 or key == name:
        return False
    start = next((i for i, (a, b) in enumerate(zip(key, name, strict=False)) if a != b),
                 min(len(key), len(name)))
    if len(key) != len(name):  # one letter dropped or added, at `start` or past its run
        longer, shorter = (key, name) if len(key) > len(name) else (name, key)
        return longer[start + 1:] == shorter[start:]
    return (key[start + 1:] == name[start + 1:]  # one changed
            or (key[start:start + 2] == name[start:start + 2][::-1]  # two swapped
                and key[start + 2:] == name[start + 2:]))
