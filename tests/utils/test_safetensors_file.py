"""safetensors files shoprel writes are the same bytes for the same arrays and metadata, in any
process (the library's metadata map changes its order from one map to the next), and read back
with safetensors' own readers as the library's own files do."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from shoprel.utils.safetensors_file import order_header, ordered_header, save_numpy

# keys that JSON escapes or writes as UTF-8, so the rewritten header must match serde_json's
METADATA = {**{f"key_{c}": f"value {c}" for c in "kjihgfedcba"},
            "queries_from": "../full/neighbours.safetensors", "queries_digest": "1a2b3c",
            "naïve \"quoted\"\n\t\x01\x7f": "é\\"}
WRITE = """
import sys
import numpy as np
from shoprel.utils.safetensors_file import save_numpy
sys.path.insert(0, sys.argv[1])
from test_safetensors_file import METADATA, arrays
for path in sys.argv[2:]:
    save_numpy(arrays(), path, metadata=METADATA)
"""


def arrays() -> dict[str, np.ndarray]:
    """Arrays of several dtypes and sizes: the library orders their data by dtype, then name."""
    rng = np.random.default_rng(0)
    return {"zeta": rng.random((3, 5)).astype(np.float16), "alpha": rng.random(7),
            "mid": np.arange(5, dtype=np.uint8), "empty": np.zeros((0, 4), np.float32),
            "ids": np.arange(11, dtype=np.int64), "flags": np.array([True, False])}


def header(path) -> tuple[int, bytes]:
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    return length, data[8:8 + length]


def test_two_processes_write_the_same_bytes(tmp_path):
    """Each process writes two files (the map's order also changes within one process)."""
    paths = []
    for seed in ("0", "1", "2"):
        ours = [tmp_path / f"{seed}_{i}.safetensors" for i in range(2)]
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", WRITE, os.path.dirname(__file__), *map(str, ours)],
                       check=True, env=env)
        paths += ours
    written = {path.read_bytes() for path in paths}
    assert len(written) == 1
    _, text = header(paths[0])
    saved = json.loads(text)
    assert list(saved)[0] == "__metadata__" and list(saved["__metadata__"]) == sorted(METADATA)
    offsets = [saved[name]["data_offsets"] for name in list(saved)[1:]]
    assert offsets == sorted(offsets)  # the tensors in the order of their data


def test_the_file_reads_back_as_the_library_s_own(tmp_path):
    ours, theirs = tmp_path / "ours.safetensors", tmp_path / "theirs.safetensors"
    save_numpy(arrays(), ours, metadata=METADATA)
    save_file(arrays(), str(theirs), metadata=METADATA)
    loaded = load_file(str(ours))
    assert sorted(loaded) == sorted(arrays())
    for name, array in arrays().items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        assert loaded[name].tobytes() == array.tobytes()
    with safe_open(str(ours), "np") as saved:
        assert saved.metadata() == METADATA
    # the same header, reordered: same length, data in place and aligned on 8 bytes
    (length, text), (their_length, their_text) = header(ours), header(theirs)
    assert length == their_length and length % 8 == 0
    assert json.loads(text) == json.loads(their_text)
    assert ours.read_bytes()[8 + length:] == theirs.read_bytes()[8 + length:]


def test_torch_tensors_read_back_with_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as load_torch

    from shoprel.utils.safetensors_file import save_torch

    tensors = {"w": torch.arange(6, dtype=torch.bfloat16).reshape(2, 3), "b": torch.ones(3)}
    save_torch(tensors, tmp_path / "t.safetensors", metadata={"format": "pt", "b": "1"})
    loaded = load_torch(str(tmp_path / "t.safetensors"))
    assert loaded.keys() == tensors.keys()
    assert all(torch.equal(loaded[k], tensors[k]) and loaded[k].dtype == tensors[k].dtype
               for k in tensors)


def test_a_file_without_metadata_is_the_library_s_bytes(tmp_path):
    """A header with no map to reorder comes out as the library wrote it."""
    ours, theirs = tmp_path / "ours.safetensors", tmp_path / "theirs.safetensors"
    save_numpy(arrays(), ours)
    save_file(arrays(), str(theirs))
    assert ours.read_bytes() == theirs.read_bytes()


def test_a_longer_header_moves_the_data_and_keeps_them_aligned(tmp_path, monkeypatch):
    """Should our JSON come out longer than the library's (it writes JSON as serde_json does,
    so it has not), the file is written again with its data after it, aligned on 8 bytes."""
    from shoprel.utils import safetensors_file

    path = tmp_path / "w.safetensors"
    save_file(arrays(), str(path), metadata=METADATA)
    length, text = header(path)
    data = path.read_bytes()[8 + length:]
    monkeypatch.setattr(safetensors_file, "ordered_header",
                        lambda saved: ordered_header(saved).replace(b",", b", "))
    order_header(path)
    new_length, new_text = header(path)
    assert new_length > length and new_length % 8 == 0
    assert new_text.rstrip(b" ") == ordered_header(json.loads(text)).replace(b",", b", ")
    assert path.read_bytes()[8 + new_length:] == data
    loaded = load_file(str(path))
    assert all(loaded[name].tobytes() == array.tobytes() for name, array in arrays().items())


def test_nothing_is_left_beside_the_file(tmp_path):
    save_numpy(arrays(), tmp_path / "a.safetensors", metadata=METADATA)
    save_numpy({"x": np.zeros(2)}, tmp_path / "a.safetensors")  # replaced whole
    assert [p.name for p in tmp_path.iterdir()] == ["a.safetensors"]
    assert list(load_file(str(tmp_path / "a.safetensors"))) == ["x"]
