"""The lexical linear weights on disk: only the weights that are set.

Of 2^20 hashed weights, a model fitted on 2,001 Home Depot rows sets ~44k (liblinear's dual
solution weighs only the features its rows hold); stored dense they took 4 MB of each model
folder, 6 of them in a 5-fold run. Stored as (index, value) pairs they take ~0.35 MB, and the
dense array comes back bit for bit. Files written dense by older releases (field 'coef') load
as they did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from shoprel.errors import RunDirError
from shoprel.utils.safetensors_file import save_numpy

DENSE = "coef"  # older releases: every weight
INDEX, VALUE = "coef_index", "coef_value"  # the set weights' places and values
SIZE = "coef_size"  # how many weights there are: a model of another n_features is refused


def save_weights(path: Path, coef: np.ndarray) -> None:
    """The weights whose bits are not all zero (a -0.0 is kept: it comes back as written)."""
    coef = np.ascontiguousarray(coef, dtype=np.float32)
    index = np.flatnonzero(coef.view(np.uint32)).astype(np.uint32)
    save_numpy({INDEX: index, VALUE: coef[index], SIZE: np.array([len(coef)], np.uint64)}, path)


def load_weights(path: Path, n_features: int) -> np.ndarray:
    """The dense float32 weights of a file of either layout; one RunDirError naming the file
    and the field when they do not fit `n_features`."""
    arrays = load_file(str(path))
    if DENSE in arrays:
        coef = arrays[DENSE]
        if coef.shape != (n_features,) or coef.dtype.kind != "f":
            raise RunDirError(f"{path}: field 'coef' has shape {tuple(coef.shape)} "
                              f"({coef.dtype}), but the model's params say n_features = "
                              f"{n_features}")
        return coef
    if any(name not in arrays for name in (INDEX, VALUE, SIZE)):
        raise RunDirError(f"{path}: field 'coef' missing (nor '{INDEX}', '{VALUE}' and "
                          f"'{SIZE}')")
    index, value, size = arrays[INDEX], arrays[VALUE], arrays[SIZE]
    if size.shape != (1,) or int(size[0]) != n_features:
        raise RunDirError(f"{path}: field '{SIZE}' is {size.tolist()}, but the model's params "
                          f"say n_features = {n_features}")
    if index.ndim != 1 or index.dtype.kind != "u" or value.shape != index.shape \
            or value.dtype.kind != "f":
        raise RunDirError(f"{path}: field '{VALUE}' has shape {tuple(value.shape)} "
                          f"({value.dtype}), but '{INDEX}' has {tuple(index.shape)} "
                          f"({index.dtype}); expected one float weight per unsigned index")
    if len(index) and int(index.max()) >= n_features:
        raise RunDirError(f"{path}: field '{INDEX}' holds {int(index.max())}, but the model's "
                          f"params say n_features = {n_features}")
    coef = np.zeros(n_features, dtype=np.float32)
    coef[index] = value
    return coef
