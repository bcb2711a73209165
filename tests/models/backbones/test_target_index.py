"""The target index: exact lookups, memory-mapped segments, builds that resume after a kill."""

import builtins
import errno
import os
from pathlib import Path

import numpy as np
import pytest

import shoprel.models.backbones.target_index as target_index
from shoprel.errors import OutputError, RunDirError
from shoprel.models.backbones.target_index import TargetIndex, build_segment, open_index


def _vector(kind, text, dim=4):
    rng = np.random.default_rng(abs(hash((kind, text))) % 2**32)
    return rng.normal(size=dim).astype(np.float32)


class _Embed:
    def __init__(self, fail_after=None):
        self.calls, self.fail_after = [], fail_after

    def __call__(self, texts, kind):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.calls.append(list(texts))
        return np.vstack([_vector(kind, t) for t in texts])


def _items(n):
    return [("passage", f"title {i}") for i in range(n)] + [("passage", "title 3")]


def test_lookup_returns_the_built_vectors(tmp_path):
    embed = _Embed()
    assert build_segment(tmp_path / "ix", "fp", _items(50), embed, "in").total == 50
    index = open_index(tmp_path / "ix", "fp")
    assert len(index) == 50
    found = index.lookup("passage", ["title 7", "nope", "title 49"])
    assert set(found) == {"title 7", "title 49"}
    np.testing.assert_array_equal(found["title 7"], _vector("passage", "title 7"))
    assert index.lookup("query", ["title 7"]) == {}  # the kind is part of the key
    assert not list((tmp_path / "ix").glob("build-*"))  # parts merged and removed


def test_a_second_build_adds_only_new_texts(tmp_path):
    build_segment(tmp_path / "ix", "fp", _items(20), _Embed(), "a")
    embed = _Embed()
    assert build_segment(tmp_path / "ix", "fp", _items(30), embed, "b").total == 10
    assert sorted(t for call in embed.calls for t in call) == sorted(
        f"title {i}" for i in range(20, 30))
    index = TargetIndex(tmp_path / "ix", "fp")
    assert len(index) == 30 and index.has("passage", ["title 25", "title 5"]).all()


def test_lookup_across_segments_reads_every_row_it_should(tmp_path):
    build_segment(tmp_path / "ix", "fp", _items(20), _Embed(), "a")
    build_segment(tmp_path / "ix", "fp", _items(40), _Embed(), "b")
    index = open_index(tmp_path / "ix", "fp")
    texts = [f"title {i}" for i in (39, 3, 3, 21, 0, 19)] + ["nope"]
    found = index.lookup("passage", texts)
    assert set(found) == set(texts) - {"nope"}
    for text, vector in found.items():
        assert vector.dtype == np.float32
        np.testing.assert_array_equal(vector, _vector("passage", text))


def test_vectors_of_keys_come_in_the_keys_order_across_segments(tmp_path):
    build_segment(tmp_path / "ix", "fp", _items(20), _Embed(), "a")
    build_segment(tmp_path / "ix", "fp", _items(40), _Embed(), "b")
    index = open_index(tmp_path / "ix", "fp")
    texts = [f"title {i}" for i in (39, 3, 3, 21, 0)] + ["nope", "title 19"]
    found, vectors = index.vectors_of_keys(target_index.hashes("passage", texts))
    assert found.tolist() == [True] * 5 + [False, True]
    np.testing.assert_array_equal(
        vectors, [_vector("passage", t) for t, hit in zip(texts, found, strict=True) if hit])


def test_a_full_disk_is_one_line_not_numpys_short_write(tmp_path, monkeypatch):
    """numpy's short write on a full disk is an OSError with no errno ('65536 requested and
    13280 written'): said like any output's full disk, and no part is left half-written."""
    save = np.save

    def short_write(fh, array, **kwargs):
        save(fh, array[: len(array) // 2], **kwargs)
        raise OSError("65536 requested and 13280 written")

    monkeypatch.setattr(target_index.np, "save", short_write)
    with pytest.raises(OutputError, match=r"No space left on device while writing it; nothing "
                                          "was written"):
        build_segment(tmp_path / "ix", "fp", _items(20), _Embed(), "in")
    assert not list((tmp_path / "ix").rglob("*.npy*"))
    monkeypatch.undo()
    assert build_segment(tmp_path / "ix", "fp", _items(20), _Embed(), "in").total == 20


def _index_files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_a_full_disk_while_joining_parts_keeps_the_previous_index(tmp_path, monkeypatch):
    """The join of a build's parts into one segment wrote the vectors in place through a memory
    map (SIGBUS on a really full disk) and moved them in before the keys were written: a full
    disk then left a segment's vectors without its keys. Now the segment appears whole or not
    at all, and the failure is one line."""
    ix = tmp_path / "ix"
    build_segment(ix, "fp", _items(20), _Embed(), "a")
    before = _index_files(ix)
    real_open = builtins.open

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def __getattr__(self, name):
            return getattr(self.fh, name)

    def full_in_index(path, mode="r", *args, **kwargs):
        fh = real_open(path, mode, *args, **kwargs)
        return FullDisk(fh) if "w" in mode and Path(path).parent == ix else fh

    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    monkeypatch.setattr(target_index, "MERGE_ROWS", 3, raising=False)
    monkeypatch.setattr(target_index, "open", full_in_index, raising=False)
    with pytest.raises(OutputError, match=r"seg-\w+\.(vectors|keys)\.npy: No space left on "
                                          r"device while writing it; nothing was written"):
        build_segment(ix, "fp", _items(45), _Embed(), "b")
    assert _index_files(ix) == before  # nothing added, nothing half-written
    index = open_index(ix, "fp")
    assert len(index) == 20 and index.lookup("passage", ["title 30"]) == {}
    monkeypatch.setattr(target_index, "open", real_open, raising=False)
    embed = _Embed()
    assert build_segment(ix, "fp", _items(45), embed, "b").total == 25
    assert embed.calls == []  # the parts finished before the full disk were kept
    index = open_index(ix, "fp")
    for i in (0, 20, 31, 44):
        np.testing.assert_array_equal(index.lookup("passage", [f"title {i}"])[f"title {i}"],
                                      _vector("passage", f"title {i}"))


def test_a_join_an_older_version_left_unfinished_is_not_read_and_is_removed(tmp_path):
    """An older shoprel killed while joining left 'seg-*.vectors.npy.tmp', as large as the
    segment: never read as part of the index, and removed by the next build."""
    ix = tmp_path / "ix"
    build_segment(ix, "fp", _items(10), _Embed(), "a")
    leftover = ix / f"seg-0123456789abcdef{target_index.VECTORS}.tmp"
    with leftover.open("wb") as fh:
        np.save(fh, np.zeros((5, 4), dtype=np.float32))
    assert len(open_index(ix, "fp")) == 10
    build_segment(ix, "fp", _items(12), _Embed(), "b")
    assert not leftover.exists() and len(open_index(ix, "fp")) == 12


def test_a_segments_vectors_left_without_their_keys_are_removed_by_the_next_build(
        tmp_path, monkeypatch):
    """A kill between a joined segment's vectors file and its keys file left
    'seg-<16 hex>.vectors.npy' that nothing read or removed (once the stopped build's parts
    were given up, no join rewrote it). The next build removes it; a file only named like one
    (not 16 hex, or a link) and a whole segment's vectors stay."""
    ix = tmp_path / "ix"
    build_segment(ix, "fp", _items(10), _Embed(), "a")
    whole = sorted(p.name for p in ix.glob(f"seg-*{target_index.VECTORS}"))
    save = target_index._save_array

    def killed_before_the_keys(path, array):
        if path.name.startswith("seg-") and path.name.endswith(target_index.KEYS):
            raise KeyboardInterrupt("killed")
        save(path, array)

    monkeypatch.setattr(target_index, "_save_array", killed_before_the_keys)
    with pytest.raises(KeyboardInterrupt):
        build_segment(ix, "fp", _items(20), _Embed(), "b")
    monkeypatch.setattr(target_index, "_save_array", save)
    (orphan,) = {p.name for p in ix.glob(f"seg-*{target_index.VECTORS}")} - set(whole)
    for parts in ix.glob("build-*"):  # the stopped build given up: its parts removed
        for part in parts.iterdir():
            part.unlink()
        parts.rmdir()
    mine = ix / f"seg-notes{target_index.VECTORS}"
    mine.write_text("the user's")
    linked = ix / f"seg-{'f' * 16}{target_index.VECTORS}"
    linked.symlink_to(mine)
    build_segment(ix, "fp", _items(12), _Embed(), "c")
    assert not (ix / orphan).exists()
    assert mine.read_text() == "the user's" and linked.is_symlink()
    assert set(whole) <= {p.name for p in ix.glob(f"seg-*{target_index.VECTORS}")}
    assert len(open_index(ix, "fp")) == 12


def test_killed_build_resumes_from_its_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    with pytest.raises(KeyboardInterrupt):
        build_segment(tmp_path / "ix", "fp", _items(40), _Embed(fail_after=3), "in")
    assert open_index(tmp_path / "ix", "fp") is None  # nothing usable before the merge
    embed = _Embed()
    added = build_segment(tmp_path / "ix", "fp", _items(40), embed, "in")
    assert len(embed.calls) == 2  # parts 0-2 were kept; only parts 3 and 4 were embedded
    assert (added.embedded, added.resumed) == (16, 24)  # a rerun's summary tells them apart
    index = open_index(tmp_path / "ix", "fp")
    for i in (0, 17, 39):
        np.testing.assert_array_equal(index.lookup("passage", [f"title {i}"])[f"title {i}"],
                                      _vector("passage", f"title {i}"))


def test_parts_start_small_so_an_early_kill_keeps_one(tmp_path, monkeypatch):
    """The first part is small and each next one doubles up to PART_TEXTS: a build stopped
    after its first part (seconds of EmbeddingGemma, where one of 4,096 took 4 minutes) keeps
    it, and the rerun embeds only the rest."""
    monkeypatch.setattr(target_index, "FIRST_PART_TEXTS", 2)
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    embed = _Embed()
    build_segment(tmp_path / "all", "fp", _items(30), embed, "in")
    assert [len(call) for call in embed.calls] == [2, 4, 8, 8, 8]

    with pytest.raises(KeyboardInterrupt):
        build_segment(tmp_path / "ix", "fp", _items(30), _Embed(fail_after=1), "in")
    rerun = _Embed()
    assert build_segment(tmp_path / "ix", "fp", _items(30), rerun, "in").total == 30
    assert [len(call) for call in rerun.calls] == [4, 8, 8, 8]  # the first part was kept


class _BatchBound(_Embed):
    """An encoder whose vectors move with the batch they are embedded in (as padding moves a
    real one's last bits), stopped once it has embedded `budget` texts: a Ctrl-C seconds in."""

    def __init__(self, budget=None):
        super().__init__()
        self.budget = budget

    def __call__(self, texts, kind):
        done = sum(map(len, self.calls))
        if self.budget is not None and done + len(texts) > self.budget:
            raise KeyboardInterrupt("killed")
        self.calls.append(list(texts))
        return np.vstack([_vector(kind, t) + len(texts) * 1e-3 for t in texts])


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_a_build_stopped_a_hundred_texts_in_keeps_them_and_resumes_to_the_same_bytes(tmp_path):
    """With the real part sizes: a build stopped after ~100 texts (seconds of EmbeddingGemma)
    keeps what its finished parts hold, where a first part of 512 (30-70 s) kept nothing; the
    rerun embeds only the rest, in the parts an uninterrupted build makes, so the index is byte
    for byte the uninterrupted one even where a text's vector depends on its batch."""
    items = _items(1000)
    build_segment(tmp_path / "whole", "fp", items, _BatchBound(), "in")

    with pytest.raises(KeyboardInterrupt):
        build_segment(tmp_path / "ix", "fp", items, _BatchBound(budget=100), "in")
    rerun = _BatchBound()
    added = build_segment(tmp_path / "ix", "fp", items, rerun, "in")
    assert added.resumed >= 64 and added.embedded == 1000 - added.resumed
    assert sum(map(len, rerun.calls)) == added.embedded
    assert _files(tmp_path / "ix") == _files(tmp_path / "whole")


def test_each_index_file_reaches_the_disk_before_its_rename(tmp_path, monkeypatch, fsync_spy):
    """Renamed into place unsynced, a file can be left empty or zero-filled under its final name
    by a power cut: each is fsynced before its rename, and its folder after it."""
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    ix = tmp_path / "ix"
    assert build_segment(ix, "fp", _items(20), _Embed(), "in").total == 20
    renames = [(at, event) for at, event in enumerate(fsync_spy.events) if event[0] == "rename"]
    final = list(ix.iterdir())
    assert len(final) == 3 and {p.name for p in final} <= {Path(e[2]).name for _, e in renames}
    assert any(Path(e[2]).name.startswith("part-") for _, e in renames)  # the parts too
    for at, (_, inode, name) in renames:
        assert ("fsync", inode) in fsync_spy.events[:at], f"{name} renamed before it was fsynced"
    for path in final:
        assert fsync_spy.unsynced(path) == []


def test_index_of_another_backbone_is_refused(tmp_path):
    build_segment(tmp_path / "ix", "fp-a", _items(3), _Embed(), "in")
    with pytest.raises(RunDirError, match="field 'fingerprint'.*fp-a.*fp-b"):
        open_index(tmp_path / "ix", "fp-b")


def test_killed_build_of_a_changed_file_is_merged_not_left_behind(tmp_path, monkeypatch):
    """The file grew after a kill (another build id): the next build merges the finished parts
    into the index, embeds only what they lack and leaves no parts folder behind."""
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    with pytest.raises(KeyboardInterrupt):
        build_segment(tmp_path / "ix", "fp", _items(40), _Embed(fail_after=3), "file, 40 rows")
    embed = _Embed()
    added = build_segment(tmp_path / "ix", "fp", _items(48), embed, "file, 48 rows")
    assert sorted(t for call in embed.calls for t in call) == sorted(
        f"title {i}" for i in range(24, 48))  # parts 0-2 (24 texts) came from the killed build
    assert added.total == 48  # texts the index gained: the killed build's and the new ones
    assert (added.embedded, added.resumed) == (24, 24)
    index = open_index(tmp_path / "ix", "fp")
    assert len(index) == 48
    for i in (0, 23, 24, 47):
        np.testing.assert_array_equal(index.lookup("passage", [f"title {i}"])[f"title {i}"],
                                      _vector("passage", f"title {i}"))
    assert not list((tmp_path / "ix").glob("build-*"))


def test_parts_of_unknown_weights_are_removed_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    with pytest.raises(KeyboardInterrupt):
        build_segment(tmp_path / "ix", "fp", _items(40), _Embed(fail_after=2), "old")
    (leftover,) = (tmp_path / "ix").glob("build-*")
    (leftover / target_index.BUILD_META).unlink()  # as an older shoprel left them
    embed = _Embed()
    assert build_segment(tmp_path / "ix", "fp", _items(10), embed, "new").total == 10
    assert len(open_index(tmp_path / "ix", "fp")) == 10
    assert not leftover.exists()


def test_a_part_of_other_texts_under_the_same_id_is_embedded_again(tmp_path, monkeypatch):
    """The file was rewritten in another order with its size (and id) kept after a kill: the
    killed build's part 0 holds other texts than the new part 0, so it is embedded again and
    every text ends up indexed once."""
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    with pytest.raises(KeyboardInterrupt):
        build_segment(tmp_path / "ix", "fp", _items(40), _Embed(fail_after=1), "same id")
    titles = [("passage", f"title {i}") for i in range(40)]
    reordered = titles[16:24] + titles[8:16] + titles[0:8] + titles[24:]
    embed = _Embed()
    assert build_segment(tmp_path / "ix", "fp", reordered, embed, "same id").total == 40
    assert len(embed.calls) == 5  # the stale part 0 was not taken for titles 16-23
    index = open_index(tmp_path / "ix", "fp")
    keys = np.concatenate([k for k, _ in index.segments])
    assert len(index) == 40 and len(np.unique(keys)) == 40
    assert index.has("passage", [t for _, t in titles]).all()
    np.testing.assert_array_equal(index.lookup("passage", ["title 20"])["title 20"],
                                  _vector("passage", "title 20"))


@pytest.mark.parametrize("marked", [True, False])
def test_a_damaged_segment_is_named_with_the_way_out(tmp_path, marked):
    """A truncated vectors file is named (not its keys file), a junk keys file without numpy's
    pickle advice; an index `shoprel index` wrote is rebuilt with it, a model's own is not."""
    import json

    folder = tmp_path / "ix" / "bb"
    build_segment(folder, "fp", _items(50), _Embed(), "in")
    if marked:
        (tmp_path / "ix" / "index.json").write_text(json.dumps({"written_by": "shoprel index"}))
    fix = "rebuild it with `shoprel index`" if marked else "restore the run"
    (vectors,) = folder.glob("seg-*.vectors.npy")
    (keys,) = folder.glob("seg-*.keys.npy")
    whole = vectors.read_bytes()
    vectors.write_bytes(whole[:300])
    with pytest.raises(RunDirError, match=f"{vectors.name}: truncated.*{fix}") as err:
        open_index(folder, "fp")
    assert "keys.npy" not in str(err.value)
    vectors.write_bytes(whole)
    keys.write_bytes(b"junk")
    with pytest.raises(RunDirError, match=f"{keys.name}: not a NumPy array file.*{fix}") as err:
        open_index(folder, "fp")
    assert "pickle" not in str(err.value)


def _counting_hashes(monkeypatch):
    """The kinds `hashes` is asked for: each is a blake2b of every text, then a search."""
    asked = []
    count = target_index.hashes

    def counting(kind, texts):
        asked.append(kind)
        return count(kind, texts)

    monkeypatch.setattr(target_index, "hashes", counting)
    return asked


def test_an_index_records_its_kinds_and_is_not_searched_for_another(tmp_path, monkeypatch):
    """Every scoring call hashed each query and searched every index for it, though an index
    holds only targets; an index now records its kinds, and a query skips it."""
    import json

    from shoprel.models.backbones.embedding_store import EmbeddingStore

    build_segment(tmp_path / "ix", "fp", _items(20), _Embed(), "a")
    assert json.loads((tmp_path / "ix" / target_index.META).read_text())["kinds"] == ["passage"]
    build_segment(tmp_path / "ix", "fp", [("level", "home")], _Embed(), "b")  # widened
    index = open_index(tmp_path / "ix", "fp")
    assert index.kinds == {"passage", "level"}
    asked = _counting_hashes(monkeypatch)
    assert index.lookup("query", ["title 3"]) == {} and not index.has("query", ["title 3"]).any()
    assert asked == []
    store = EmbeddingStore(lambda texts, kind: np.zeros((len(texts), 4), np.float32),
                           indexes=[index, index])
    np.testing.assert_array_equal(store.embed(["title 3"], "query"), np.zeros((1, 4)))
    assert asked == [] and store.counts == {"encoded": 1}
    np.testing.assert_array_equal(store.embed(["title 3", "home"], "passage")[0],
                                  _vector("passage", "title 3"))
    assert asked == ["passage", "passage"] and store.counts["index"] == 1


def test_an_index_without_a_kinds_record_is_searched_for_every_kind(tmp_path, monkeypatch):
    """An index built before kinds were recorded keeps answering every kind; a build into it
    adds no record (its older segments' kinds are not known), nor does one that takes up the
    parts of an older killed build."""
    import json

    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    meta_file = tmp_path / "ix" / target_index.META
    build_segment(tmp_path / "ix", "fp", [("query", "title 3"), *_items(4)], _Embed(), "a")
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({k: v for k, v in meta.items() if k != "kinds"}))
    index = open_index(tmp_path / "ix", "fp")
    assert index.kinds is None
    np.testing.assert_array_equal(index.lookup("query", ["title 3"])["title 3"],
                                  _vector("query", "title 3"))
    build_segment(tmp_path / "ix", "fp", _items(10), _Embed(), "b")
    assert "kinds" not in json.loads(meta_file.read_text())

    with pytest.raises(KeyboardInterrupt):  # an older shoprel's parts: no kinds in build.json
        build_segment(tmp_path / "new", "fp", [("query", f"q {i}") for i in range(20)],
                      _Embed(fail_after=1), "old")
    (leftover,) = (tmp_path / "new").glob("build-*")
    (leftover / target_index.BUILD_META).write_text(json.dumps({"fingerprint": "fp"}))
    build_segment(tmp_path / "new", "fp", _items(3), _Embed(), "new")
    index = open_index(tmp_path / "new", "fp")
    assert index.kinds is None and "q 5" in index.lookup("query", ["q 5", "q 9"])


def test_a_killed_builds_parts_keep_their_kinds_when_taken_up(tmp_path, monkeypatch):
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    with pytest.raises(KeyboardInterrupt):
        build_segment(tmp_path / "ix", "fp", [("level", f"l {i}") for i in range(20)],
                      _Embed(fail_after=1), "killed")
    build_segment(tmp_path / "ix", "fp", _items(3), _Embed(), "next")
    index = open_index(tmp_path / "ix", "fp")
    assert index.kinds == {"passage", "level"} and "l 2" in index.lookup("level", ["l 2"])


def test_a_kinds_record_that_is_not_a_list_is_named(tmp_path):
    import json

    build_segment(tmp_path / "ix", "fp", _items(3), _Embed(), "a")
    meta_file = tmp_path / "ix" / target_index.META
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "kinds": "passage"}))
    with pytest.raises(RunDirError, match=r"meta.json: field 'kinds': not a list of texts"):
        open_index(tmp_path / "ix", "fp")


@pytest.mark.parametrize("rerun_id", ["killed", "file changed since"])
def test_a_users_file_in_a_parts_folder_is_kept_and_said(tmp_path, monkeypatch, caplog,
                                                         rerun_id):
    """A parts folder was removed whole once its parts were merged (or when they were of other
    weights), with whatever a user had put in it: now only the build's own files go, the
    user's stay with the folder, said in one line; a folder merely named `build-...` by the
    user is no parts folder and is neither read nor touched."""
    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    ix = tmp_path / "ix"
    with pytest.raises(KeyboardInterrupt):
        build_segment(ix, "fp", _items(40), _Embed(fail_after=2), "killed")
    (parts,) = ix.glob("build-*")
    (parts / "notes.txt").write_text("mine")
    (parts / "sub").mkdir()
    (parts / "sub" / "part-000000.keys.npy").write_bytes(b"theirs")
    own = ix / "build-notes"
    own.mkdir()
    (own / "a.txt").write_text("also mine")
    assert target_index.has_stopped_build(ix)
    embed = _Embed()
    with caplog.at_level("WARNING", logger=target_index.__name__):
        added = build_segment(ix, "fp", _items(40), embed, rerun_id)
    assert (added.embedded, added.resumed) == (24, 16)  # the 2 finished parts were taken up
    assert len(open_index(ix, "fp")) == 40
    assert (parts / "notes.txt").read_text() == "mine"
    assert (parts / "sub" / "part-000000.keys.npy").read_bytes() == b"theirs"
    assert sorted(p.name for p in parts.iterdir()) == ["notes.txt", "sub"]
    assert (own / "a.txt").read_text() == "also mine" and len(list(own.iterdir())) == 1
    (line,) = [r.getMessage() for r in caplog.records]
    assert line == (f"{parts}: kept, as it holds notes.txt, sub, which no index build wrote "
                    "(the build's own files in it were removed); move them out and delete "
                    "the folder")
    assert not target_index.has_stopped_build(ix)  # what is left is no build's


def test_a_link_where_a_build_keeps_its_parts_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ix = tmp_path / "ix"
    ix.mkdir()
    digest = target_index.hashlib.sha256(b"in").hexdigest()[:16]
    (ix / f"build-{digest}").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="not a folder a build made"):
        build_segment(ix, "fp", _items(3), _Embed(), "in")
    assert list(elsewhere.iterdir()) == [] and open_index(ix, "fp") is None
