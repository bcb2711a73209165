"""A note before the fits when the validation folds are too small to measure anything.

A fold of a few rows swings its F1 by a whole row's share, and one holding a single label has
no ROC-AUC at all; the pooled figures and the per-fold intervals then describe noise. Told
before the minutes of fitting, with what helps: fewer folds, or more rows, named the way the
user set the number of folds (an option, a config file's key, an argument).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from shoprel.training.defaults import FOLDS_MIN

# fewer validation rows than this and one row moves a fold's F1 and ROC-AUC by 0.05 or more
MIN_VALID_ROWS = 20


def _fold_list(folds: list[int]) -> str:
    return f"fold{'s' if len(folds) > 1 else ''} " + ", ".join(str(f) for f in folds)


def folds_option(k: int) -> str:
    """How `shoprel train` and `demo` set k folds: their option."""
    return f"--folds {k}"


def folds_key(config_file) -> Callable[[int], str]:
    """How a config file that sets folds.k sets k folds: its key, named with the file (a rerun
    reads the file again, so an option would not be what changes them)."""
    return lambda k: f"folds.k: {k} in {config_file}"


def small_folds_note(labels, folds, set_folds: Callable[[int], str] = folds_option
                     ) -> str | None:
    """`note: ...` when a validation fold holds fewer than MIN_VALID_ROWS rows or only one
    label, else None. `set_folds(k)`: what the user changes for k folds, where they set the
    folds (`folds.k: 3 in c.yaml` for a config file's key, which a rerun would read again)."""
    y = np.asarray(labels)
    folds = np.asarray(folds)
    k = int(folds.max()) + 1 if len(folds) else 0
    sizes = np.bincount(folds, minlength=k)
    small = [f for f in range(k) if sizes[f] < MIN_VALID_ROWS]
    values = np.unique(y).tolist()
    one_label = {label: [f for f in range(k) if not np.any(y[folds == f] == label)]
                 for label in values}
    one_label = {label: lacking for label, lacking in one_label.items() if lacking}
    if not small and not one_label:
        return None
    said = []
    if small:
        rows = ", ".join(str(sizes[f]) for f in small)
        which = (f"all {k} folds hold" if len(small) == k else
                 f"{_fold_list(small)} of {k} hold{'s' if len(small) == 1 else ''}")
        said.append(f"{which} fewer than {MIN_VALID_ROWS} validation rows ({rows})")
    for label, lacking in one_label.items():
        said.append(f"{_fold_list(lacking)} hold{'s' if len(lacking) == 1 else ''} no row "
                    f"labelled {label}, so {'its' if len(lacking) == 1 else 'their'} ROC-AUC "
                    "is undefined")
    # as many folds as give each MIN_VALID_ROWS rows and a row of each label, if that is 2+
    counts = [int(np.sum(y == label)) for label in values]
    fewer = min([len(y) // MIN_VALID_ROWS, *counts])
    helps = (f"fewer folds ({set_folds(fewer)}) or more rows" if FOLDS_MIN <= fewer < k
             else f"more rows ({MIN_VALID_ROWS * FOLDS_MIN}+ with {set_folds(FOLDS_MIN)})"
             if fewer < FOLDS_MIN
             else f"more rows or fewer folds ({set_folds(k - 1)})" if k - 1 >= FOLDS_MIN
             else "more rows")
    return (f"note: {'; '.join(said)}: the cross-validated F1 and ROC-AUC of {len(y)} rows "
            f"are mostly noise; {helps} make them a measurement")
