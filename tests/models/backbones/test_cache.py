"""File checksums are remembered by the file's stamp, and a changed file is hashed again."""

import hashlib
import json
import os

import pytest
from tests.conftest import hashed_files, killed_writers_temporaries

import shoprel.models.backbones.cache as cache
from shoprel.models.backbones.cache import CACHE_ENV, CACHE_MARKER, CHECKSUMS_FILE, file_sha256


@pytest.fixture
def root(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_known_file_is_not_read_again(root, tmp_path, monkeypatch):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"a" * 5000)
    hashed = hashed_files(monkeypatch)
    assert file_sha256(weights) == digest(b"a" * 5000)
    assert file_sha256(weights) == digest(b"a" * 5000)
    assert hashed == [weights]
    memo = json.loads((root / CHECKSUMS_FILE).read_text())
    assert memo[str(weights.absolute())]["sha256"] == digest(b"a" * 5000)


@pytest.mark.parametrize("change", ["rewrite same size", "replace with a copy"])
def test_a_changed_file_is_hashed_again(root, tmp_path, change):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"a" * 5000)
    assert file_sha256(weights) == digest(b"a" * 5000)
    if change == "rewrite same size":  # same size, written in place
        with open(weights, "r+b") as handle:
            handle.seek(2500)
            handle.write(b"b")
        expected = digest(b"a" * 2500 + b"b" + b"a" * 2499)
    else:  # another file moved into its place, its times copied from the old one
        other = tmp_path / "other.bin"
        other.write_bytes(b"c" * 5000)
        info = weights.stat()
        os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns))
        os.replace(other, weights)
        expected = digest(b"c" * 5000)
    assert file_sha256(weights) == expected


@pytest.mark.parametrize("foreign", ["{not json", '{"a": 1}', "[]"])
def test_a_file_that_is_not_a_memo_is_left_alone(root, tmp_path, foreign):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"x" * 100)
    root.mkdir()
    (root / CHECKSUMS_FILE).write_text(foreign)
    assert file_sha256(weights) == digest(b"x" * 100)
    assert file_sha256(weights) == digest(b"x" * 100)
    assert (root / CHECKSUMS_FILE).read_text() == foreign  # not ours: never overwritten
    assert sorted(p.name for p in root.iterdir()) == [CHECKSUMS_FILE]


def test_an_unwritable_cache_root_only_costs_a_read(read_only_root, tmp_path):
    """Nothing can be remembered, the digest is still right. (A cache root that is a file is
    no read-only cache: it is refused, test_a_cache_root_that_is_a_file_is_refused_...)"""
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"x" * 100)
    assert file_sha256(weights) == digest(b"x" * 100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "weights.bin"]
    assert sorted(p.name for p in read_only_root.iterdir()) == [CHECKSUMS_FILE, CACHE_MARKER]
    assert json.loads((read_only_root / CHECKSUMS_FILE).read_text()) == {}


def test_entries_of_files_gone_are_dropped(root, tmp_path):
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    first.write_bytes(b"1")
    second.write_bytes(b"2")
    file_sha256(first)
    first.unlink()
    file_sha256(second)
    assert list(json.loads((root / CHECKSUMS_FILE).read_text())) == [str(second.absolute())]


def test_a_killed_writers_temporary_is_removed_by_the_next_one(root, tmp_path):
    """The memo is written through atomic_file, whose temporaries carry the writer's pid: what
    a killed writer left is recognised (and removed by the next write or `cache prune`)."""
    from shoprel.utils import atomic

    root.mkdir(parents=True)
    [leftover] = killed_writers_temporaries(root / CHECKSUMS_FILE)
    assert leftover.parent == root and leftover.name.startswith(f".{CHECKSUMS_FILE}.")
    leftover.write_text("{")
    assert atomic.dead_writer_leftover(leftover)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"c" * 100)
    file_sha256(weights)
    assert not leftover.exists()
    assert sorted(p.name for p in root.iterdir()) == sorted([CHECKSUMS_FILE, CACHE_MARKER])


def test_a_command_with_its_own_cache_remembers_there_only(root, tmp_path):
    """The memo lived in the default cache ($SHOPREL_CACHE, ~/.cache/shoprel) even for a
    command given its own cache folder; it now lives in the folder the command uses."""
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"o" * 100)
    own = tmp_path / "own"
    assert file_sha256(weights, own) == digest(b"o" * 100)
    assert json.loads((own / CHECKSUMS_FILE).read_text())[str(weights)]["sha256"] == digest(
        b"o" * 100)
    assert not root.exists()  # the default cache: nothing written
    weights.write_bytes(b"p" * 100)  # a later command without one: the default's memo
    assert file_sha256(weights) == digest(b"p" * 100)
    assert list(json.loads((root / CHECKSUMS_FILE).read_text())) == [str(weights)]


@pytest.mark.parametrize("overwrite", [False, True])
def test_what_a_build_hashed_is_known_under_its_final_path(root, tmp_path, monkeypatch,
                                                           overwrite):
    """A build hashed its weights in its temporary folder, which was then renamed: the memo
    knew them only under a path gone at once, and the first use hashed them again. Now the
    entries follow the rename (with the final file's stamp) and the first use reads nothing."""
    folder = tmp_path / "built"
    if overwrite:  # an earlier build in place, known to the memo
        folder.mkdir()
        (folder / "weights.bin").write_bytes(b"old")
        file_sha256(folder / "weights.bin")
    with cache.built_folder(folder, overwrite=overwrite) as tmp:
        (tmp / "sub").mkdir()
        for name in ("weights.bin", "sub/more.bin"):
            (tmp / name).write_bytes(name.encode() * 100)
            file_sha256(tmp / name)
    memo = json.loads((root / CHECKSUMS_FILE).read_text())
    assert sorted(memo) == [str(folder / "sub" / "more.bin"), str(folder / "weights.bin")]
    hashed = hashed_files(monkeypatch)
    assert file_sha256(folder / "weights.bin") == digest(b"weights.bin" * 100)
    assert file_sha256(folder / "sub" / "more.bin") == digest(b"sub/more.bin" * 100)
    assert hashed == []


def test_a_failed_build_leaves_no_entry_of_its_temporary_folder(root, tmp_path):
    folder = tmp_path / "built"
    with pytest.raises(RuntimeError), cache.built_folder(folder) as tmp:
        (tmp / "weights.bin").write_bytes(b"w" * 100)
        file_sha256(tmp / "weights.bin")
        raise RuntimeError("the build failed")
    assert not folder.exists()
    assert json.loads((root / CHECKSUMS_FILE).read_text()) == {}


@pytest.fixture
def read_only_root(root, monkeypatch):
    """A cache root whose memo cannot be saved: chmod'ed read-only, or, for a user whom
    permissions do not stop (root), its save failing as a read-only folder's does."""
    root.mkdir()
    (root / CHECKSUMS_FILE).write_text("{}")
    (root / CACHE_MARKER).write_text(json.dumps({"written_by": "shoprel", "format": 1}))
    root.chmod(0o555)
    if os.access(root, os.W_OK):  # permissions ignored: the save fails as it would

        def refused(path, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(cache, "atomic_file", refused)
    yield root
    root.chmod(0o755)


def test_a_read_only_cache_hashes_a_file_once_per_command(read_only_root, tmp_path,
                                                            monkeypatch):
    """A memo that cannot be saved was forgotten at once: every use of the same weights in a
    command (resolving the backbone, then its export's check) read all of them again. The
    process remembers them too now, by the same stamp, so a changed file is still hashed."""
    first, second = tmp_path / "model.safetensors", tmp_path / "dense.safetensors"
    first.write_bytes(b"e" * 5000)
    second.write_bytes(b"d" * 500)
    hashed = hashed_files(monkeypatch)
    together = cache.files_sha256([first, second])
    assert cache.files_sha256([first, second]) == together
    assert file_sha256(first) == digest(b"e" * 5000)
    assert hashed == sorted([first, second])  # once each
    assert json.loads((read_only_root / CHECKSUMS_FILE).read_text()) == {}  # nothing saved
    first.write_bytes(b"f" * 5000)
    info = first.stat()  # a later modification time, as a write a moment later would leave
    os.utime(first, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    assert file_sha256(first) == digest(b"f" * 5000)
    assert hashed[2:] == [first]


def test_a_cache_root_of_no_user_is_refused_in_one_line(monkeypatch):
    """SHOPREL_CACHE='~nobody/cache' (no such user here) was a traceback, pathlib's
    "RuntimeError: Could not determine home directory", from every command using the cache."""
    from shoprel.errors import ConfigError

    monkeypatch.setenv(CACHE_ENV, "~no-such-user-shoprel/cache")
    said = ("~no-such-user-shoprel/cache: '~no-such-user-shoprel' is read as a home folder, "
            "but no user 'no-such-user-shoprel' is known here; write the path in full, from /")
    with pytest.raises(ConfigError) as refused:
        cache.cache_root()
    assert str(refused.value) == f"${CACHE_ENV}: {said}"
    with pytest.raises(ConfigError) as refused:
        cache.cache_root("~no-such-user-shoprel/cache")
    assert str(refused.value) == f"cache_dir: {said}"


@pytest.mark.parametrize("under", [False, True])
def test_a_cache_root_that_is_a_file_is_refused_before_a_build_is_announced(
        tmp_path, monkeypatch, caplog, under):
    """SHOPREL_CACHE set to a file (or to a path under one): `predict` with the default model
    said "building embeddinggemma-300m into FILE/backbones/..." and only then failed, "a part
    of the path is a file". The root is refused where it is read, before anything is built."""
    import shoprel.models.backbones.embeddinggemma as embeddinggemma
    from shoprel.errors import ConfigError
    from shoprel.models.backbones.resolve import resolve_backbone

    file = tmp_path / "notes.txt"
    file.write_text("mine\n")
    root = file / "cache" if under else file
    said = (f"{file} is a file, not a folder" if under else "is a file, not a cache folder")
    monkeypatch.setenv(CACHE_ENV, str(root))
    monkeypatch.setattr(embeddinggemma, "build", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(ConfigError) as refused:
        resolve_backbone(embeddinggemma.NAME)
    assert str(refused.value) == f"${CACHE_ENV}: {root}: {said}"
    assert "building" not in caplog.text
    with pytest.raises(ConfigError) as refused:  # a model's cache_dir, --cache-dir
        cache.cache_root(root)
    assert str(refused.value) == f"cache_dir: {root}: {said}"
    assert file.read_text() == "mine\n"


@pytest.mark.parametrize("under", [False, True])
def test_a_cache_root_through_a_link_to_nowhere_is_refused_before_a_build_is_announced(
        tmp_path, monkeypatch, caplog, under):
    """A link to a folder not there (a drive not mounted, a folder moved): no folder can be
    made at it (mkdir does not follow it), so the build announced there failed as a file's
    did; a link to a folder is a cache root as the folder is."""
    import shoprel.models.backbones.embeddinggemma as embeddinggemma
    from shoprel.errors import ConfigError
    from shoprel.models.backbones.resolve import resolve_backbone

    link = tmp_path / "cache"
    link.symlink_to(tmp_path / "gone")
    root = link / "shoprel" if under else link
    monkeypatch.setenv(CACHE_ENV, str(root))
    monkeypatch.setattr(embeddinggemma, "build", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(ConfigError) as refused:
        resolve_backbone(embeddinggemma.NAME)
    assert str(refused.value) == (f"${CACHE_ENV}: {root}: {link} links to {tmp_path / 'gone'}, "
                                  "which does not exist")
    assert "building" not in caplog.text
    (tmp_path / "gone").mkdir()
    assert cache.cache_root(root) == root
