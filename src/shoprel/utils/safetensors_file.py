"""safetensors files written byte for byte the same for the same arrays and metadata, so that two
trainings of the same rows give model folders `diff -r` finds equal (docs/speed.md).

The library keeps a file's metadata in a Rust HashMap, whose order changes from one map to the
next (in one process as in two): the same model saved twice wrote `queries_digest` and
`queries_from` in either order. The library still writes the file (its own layout, dtypes and
8-byte alignment), beside the target; its JSON header is then written again in a fixed order,
`__metadata__` first with its keys sorted, then the tensors in the order of their data, the same
JSON padded with spaces to the same length, so the data are neither moved nor read; and the file
is renamed into place. Readers see the same arrays and metadata: safetensors reads the header as
a map, so files written before read as they did.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from shoprel.utils.atomic import atomic_file

LENGTH_BYTES = 8  # the header's length, a little-endian u64, before the header itself
ALIGNMENT = 8  # the library pads the header with spaces so that the data start on 8 bytes
METADATA = "__metadata__"


def save_numpy(arrays: Mapping[str, Any], path: str | os.PathLike,
               metadata: Mapping[str, str] | None = None) -> None:
    """safetensors.numpy.save_file, in a fixed byte order, written whole or not at all."""
    from safetensors.numpy import save_file

    _save(save_file, arrays, path, metadata)


def save_torch(tensors: Mapping[str, Any], path: str | os.PathLike,
               metadata: Mapping[str, str] | None = None) -> None:
    """safetensors.torch.save_file, in a fixed byte order, written whole or not at all."""
    from safetensors.torch import save_file

    _save(save_file, tensors, path, metadata)


def _save(save_file: Callable, arrays: Mapping[str, Any], path: str | os.PathLike,
          metadata: Mapping[str, str] | None) -> None:
    with atomic_file(path) as tmp:
        save_file(dict(arrays), str(tmp), metadata=None if metadata is None else dict(metadata))
        order_header(tmp)


def ordered_header(header: dict) -> bytes:
    """The header's JSON in its fixed order, compact as the library writes it (serde_json:
    non-ASCII as UTF-8, control characters escaped), so of the same length."""
    ordered = {}
    if METADATA in header:
        ordered[METADATA] = dict(sorted(header[METADATA].items()))
    tensors = sorted((name for name in header if name != METADATA),
                     key=lambda name: (header[name]["data_offsets"], name))
    ordered.update((name, header[name]) for name in tensors)
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def order_header(path: Path) -> None:
    """Write the header of the safetensors file `path` again in its fixed order, in place."""
    with open(path, "r+b") as fh:
        length = int.from_bytes(fh.read(LENGTH_BYTES), "little")
        text = ordered_header(json.loads(fh.read(length)))
        if len(text) <= length:  # always, while the library writes JSON as serde_json does
            fh.seek(LENGTH_BYTES)
            fh.write(text.ljust(length, b" "))
            return
        data = fh.read()  # a longer header moves the data: the file is written again
        text += b" " * (-len(text) % ALIGNMENT)
        fh.seek(0)
        fh.write(len(text).to_bytes(LENGTH_BYTES, "little") + text)
        fh.write(data)
        fh.truncate()
