"""A file's SHA-256 read in blocks is the digest of its whole bytes, whatever the block size."""

import hashlib

import pytest

from shoprel.utils.digest import sha256_of_file


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_a_file_read_in_blocks_has_the_digest_of_its_bytes(tmp_path, chunk):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"id": 1, "label": 0}\n{"id": 2, "label": 1}\n')
    assert sha256_of_file(path, chunk) == hashlib.sha256(path.read_bytes()).hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert sha256_of_file(empty, chunk) == hashlib.sha256(b"").hexdigest()
