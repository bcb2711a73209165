"""`shoprel index`: targets embedded ahead of scoring give the same scores with fewer encodes."""

import json
import os
import re
import shutil

import numpy as np
import pytest
from tests.conftest import WAITING_INDEX_ENCODER

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from fastapi.testclient import TestClient  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from shoprel.data.readers import read_pairs  # noqa: E402
from shoprel.errors import InputError, OutputError  # noqa: E402
from shoprel.models.backbones import Encoder  # noqa: E402
from shoprel.models.backbones.cache import CACHE_ENV  # noqa: E402
from shoprel.predict.index import MARKER, build_index  # noqa: E402
from shoprel.predict.predictor import Predictor  # noqa: E402
from shoprel.run.folder import Run  # noqa: E402
from shoprel.serve import ServeSettings, create_app  # noqa: E402
from shoprel.utils.output_stamp import check_replaceable  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def qc_demo_module():
    from shoprel.demo import demo_file

    return demo_file("QC")


@pytest.fixture
def new_pairs(tmp_path, qc_demo_module):
    """Demo pairs whose targets the run never saw (one more level on each path)."""
    frame = read_pairs(qc_demo_module).take(range(60))
    path = tmp_path / "new.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for row in frame.df.itertuples():
            fh.write(json.dumps({"id": row.id, "language": row.language,
                                 "origin_query": row.query,
                                 "category_path": f"{row.target},new level"}) + "\n")
    return path


@pytest.fixture
def encoded(monkeypatch):
    seen = []
    encode = Encoder.encode

    def counting(self, texts, kind="query"):
        seen.extend((kind, t) for t in texts)
        return encode(self, texts, kind=kind)

    monkeypatch.setattr(Encoder, "encode", counting)
    return seen


def _fresh_cache(monkeypatch, path):
    monkeypatch.setenv(CACHE_ENV, str(path))


def test_indexed_targets_score_the_same_and_only_queries_are_encoded(
        tmp_path, embed_run, new_pairs, monkeypatch, encoded):
    frame = read_pairs(new_pairs)
    _fresh_cache(monkeypatch, tmp_path / "cache-plain")
    plain = Predictor(embed_run).probabilities(frame)
    assert {kind for kind, _ in encoded} == {"query", "passage"}

    out = tmp_path / "catalogue-index"
    catalogue = tmp_path / "catalogue.txt"  # plain text, one target per line
    catalogue.write_text("".join(f"{t}\n" for t in frame.df["target"]), encoding="utf-8")
    _fresh_cache(monkeypatch, tmp_path / "cache-build")
    result = build_index(embed_run, catalogue, out=out, progress=False)
    assert result.targets == len(frame) and result.added > 0 and (out / MARKER).is_file()
    again = build_index(embed_run, catalogue, out=out, progress=False)
    assert again.added == 0  # everything is indexed already
    # targets only, as the model's own index: a query is never searched for in either
    own = [*(embed_run / "models").glob("*/index/*/meta.json")]
    assert own and {tuple(json.loads(meta.read_text())["kinds"])
                    for meta in [*own, *out.glob("*/meta.json")]} == {("passage",)}

    encoded.clear()
    _fresh_cache(monkeypatch, tmp_path / "cache-indexed")
    predictor = Predictor(embed_run, indexes=[out])
    indexed = predictor.probabilities(frame)
    assert {kind for kind, _ in encoded} == {"query"}
    assert predictor.embedding_counts()["index"] > 0
    np.testing.assert_allclose(indexed, plain, atol=1e-5, rtol=0)


def test_the_index_marker_reaches_the_disk_before_its_rename(tmp_path, embed_run, new_pairs,
                                                             monkeypatch, fsync_spy):
    """The segments are durable (their own test); the marker that makes the folder an index
    must be too, or a power cut leaves a durable index its readers refuse."""
    _fresh_cache(monkeypatch, tmp_path / "cache")
    build_index(embed_run, new_pairs, out=tmp_path / "ix", progress=False)
    assert fsync_spy.unsynced(tmp_path / "ix" / MARKER) == []


def test_index_inside_the_run_is_found_without_a_flag(tmp_path, embed_run, new_pairs,
                                                      monkeypatch, encoded):
    """On a copy: the session's shared run gained an index, and a later test that copied it
    (test_backbone_changed's, under another test order) found one it said was never made."""
    run = shutil.copytree(embed_run, tmp_path / "run")
    _fresh_cache(monkeypatch, tmp_path / "cache-a")
    build_index(run, new_pairs, progress=False)  # a pairs file works too
    assert (run / "index" / MARKER).is_file()
    check_replaceable(run)  # still a folder shoprel wrote, for --overwrite
    encoded.clear()
    _fresh_cache(monkeypatch, tmp_path / "cache-b")
    Predictor(run).probabilities(read_pairs(new_pairs))
    assert {kind for kind, _ in encoded} == {"query"}


def test_the_bar_moves_while_a_part_is_embedded(tmp_path, embed_run, monkeypatch, encoded,
                                                bar_updates, capfd):
    """A part is up to 4,096 texts: 296 new titles took EmbeddingGemma 93 s while the bar,
    moved once a part was done, stood at '0 texts' with no total. The encoder's bar now counts
    the part's new texts batch by batch, of their number; the part's bar, targets of the
    file's. progress=False draws neither. In a log both keep its compact format."""
    from shoprel.models.backbones import target_index

    # one part for the whole catalogue, as a part of 4,096 holds a large one's texts
    monkeypatch.setattr(target_index, "FIRST_PART_TEXTS", target_index.PART_TEXTS)
    catalogue = tmp_path / "catalogue.txt"
    catalogue.write_text("".join(f"home,kitchen,pan {i}\n" for i in range(150)),
                         encoding="utf-8")
    _fresh_cache(monkeypatch, tmp_path / "cache")
    build_index(embed_run, catalogue, out=tmp_path / "ix", progress=True)
    passages = sum(kind == "passage" for kind, _ in encoded)
    embedding = [(n, total) for desc, n, total in bar_updates if desc == "embedding passages"]
    first_part = next(i for i, (desc, n, _) in enumerate(bar_updates)
                      if desc == "indexing" and n > 0)
    assert passages >= 150 and len(embedding) >= -(-passages // 64)  # the encoder's batches
    assert {total for _, total in embedding} == {passages}
    assert sum(n for n, _ in embedding) == passages
    assert [desc for desc, _, _ in bar_updates[:first_part]] == ["embedding passages"] * len(
        embedding)  # all before the part is done
    assert bar_updates[first_part] == ("indexing", 150, 150)
    # stderr a log (not a terminal): each of shoprel's bars drawn in its counts and times,
    # without tqdm's bar and rate ('indexing:  0%|          | 0/150 [00:00<?, ? targets/s]'),
    # nor the cursor-up escape the nested encoder's bar wrote after each of its lines
    ours = [line.rstrip() for line in capfd.readouterr().err.replace("\n", "\r").split("\r")
            if line.startswith(("indexing", "embedding passages"))]
    assert ours[0] == "indexing: 0/150 [00:00<?]" and ours[-1].startswith("indexing: 150/150 [")
    assert f"embedding passages: 0/{passages} [00:00<?]" in ours, ours
    assert all(re.fullmatch(r"[a-z ]+: \d+/\d+ \[[\d:<?]+\]", line) for line in ours), ours

    bar_updates.clear()
    _fresh_cache(monkeypatch, tmp_path / "cache-quiet")
    build_index(embed_run, catalogue, out=tmp_path / "ix-quiet", progress=False)
    assert bar_updates == [] and capfd.readouterr() == ("", "")


def test_misuse_is_refused_with_one_line(tmp_path, embed_run, trained_runs, new_pairs):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not an index folder"):
        build_index(embed_run, new_pairs, out=foreign, progress=False)
    assert (foreign / "notes.txt").read_text() == "keep me"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"category_path": "a,b"}\n{"item_title": "x"}\n')
    with pytest.raises(InputError) as err:
        build_index(embed_run, bad, out=tmp_path / "ix", progress=False)
    assert "bad.jsonl" in str(err.value) and "line 2" in str(err.value)
    assert "category_path" in str(err.value)
    qi = tmp_path / "qi.jsonl"  # the other task's file: refused before any folder is made
    qi.write_text('{"id": 1, "task": "QI", "language": "en", "origin_query": "drill", '
                  '"item_title": "cordless drill", "label": 1}\n')
    with pytest.raises(InputError, match=r"column missing .the file looks like a QI file.,"
                                         " but run .* scores QC pairs; index it with a QI run$"):
        build_index(embed_run, qi, out=tmp_path / "ix3", progress=False)
    assert not (tmp_path / "ix3").exists()
    with pytest.raises(OutputError, match="embed nothing"):
        build_index(trained_runs["QC"], new_pairs, out=tmp_path / "ix2", progress=False)
    with pytest.raises(InputError, match="not an index folder"):
        Predictor(embed_run, indexes=[foreign])
    with pytest.raises(InputError, match="is a file, not an index folder .--index takes"):
        Predictor(embed_run, indexes=[new_pairs])  # the targets file, not the index built
    Run.open(embed_run)  # the run still opens


def test_odd_target_files_and_outputs_are_refused_before_any_folder(tmp_path, embed_run,
                                                                     new_pairs):
    """Text that is not UTF-8, a file with no targets, a target predict would refuse, an
    output under a file or inside a folder shoprel wrote: one error each, nothing made."""
    import shutil

    run = tmp_path / "run"  # a copy: this test writes into the run
    shutil.copytree(embed_run, run)
    binary = tmp_path / "targets.txt"
    binary.write_bytes(b"\xd0\xff broken\nkitchen,cups\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps({"id": 1, "category_path": "y" * 30_000}) + "\n")
    for path, match in [(binary, "line 1: invalid UTF-8 at byte 0"),
                        (empty, "holds no category_path texts"),
                        (long, "line 1, field 'category_path': holds 30,000 characters")]:
        with pytest.raises(InputError, match=match):
            build_index(run, path, out=tmp_path / "ix", progress=False)
        assert not (tmp_path / "ix").exists()
    with pytest.raises(OutputError, match="is a file, not a folder"):
        build_index(run, new_pairs, out=new_pairs / "ix", progress=False)
    for inside in (run / "mine", tmp_path / "index_a" / "sub"):
        if inside.parent.name == "index_a":
            build_index(run, new_pairs, out=inside.parent, progress=False)
        with pytest.raises(OutputError, match="a folder shoprel wrote"):
            build_index(run, new_pairs, out=inside, progress=False)
        assert not inside.exists()
    # the run's own index, named: allowed, and the run records it as its own
    build_index(run, new_pairs, out=run / "index", progress=False)
    assert (run / "index" / MARKER).is_file()
    check_replaceable(run)


def test_out_as_the_current_folder_is_refused_as_train_refuses_it(tmp_path, embed_run,
                                                                   new_pairs, monkeypatch):
    """`--out ""` (an unset shell variable) or `--out .`, in an empty folder or an index:
    refused, as train refuses it, instead of writing the index into the current folder."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for out in ("", "."):
        with pytest.raises(OutputError, match="is the current folder or holds it"):
            build_index(embed_run, new_pairs, out=out, progress=False)
        assert not any(here.iterdir())
    build_index(embed_run, new_pairs, out=tmp_path / "ix", progress=False)
    monkeypatch.chdir(tmp_path / "ix")
    with pytest.raises(OutputError, match="is the current folder or holds it"):
        build_index(embed_run, new_pairs, out=".", progress=False)


def test_a_folder_with_another_tools_index_json_is_no_index(tmp_path, embed_run, new_pairs):
    """A website's index.json: `index --out` writes nothing there, `--index` refuses it."""
    site = tmp_path / "website"
    site.mkdir()
    (site / MARKER).write_text('{"pages": ["home"]}')
    (site / "index.html").write_text("<html>")
    with pytest.raises(OutputError, match="its index.json was not written by `shoprel index`"):
        build_index(embed_run, new_pairs, out=site, progress=False)
    assert sorted(p.name for p in site.iterdir()) == ["index.html", MARKER]
    with pytest.raises(InputError, match="not an index folder .its index.json was not"):
        Predictor(embed_run, indexes=[site])


def test_the_runs_own_index_in_the_way_is_named_with_the_way_out(tmp_path, embed_run,
                                                                   new_pairs):
    """No --out given: a file or a user's folder where the run keeps its index is to be moved,
    or the index built elsewhere; the message says so, not what --out needs."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(embed_run, run)
    shutil.rmtree(run / "index", ignore_errors=True)  # built by another test
    (run / "index").write_text("hi")
    with pytest.raises(OutputError) as err:
        build_index(run, new_pairs, progress=False)
    assert "is a file; it is where the run keeps its index" in str(err.value)
    assert "--out needs" not in str(err.value) and "give --out FOLDER" in str(err.value)
    (run / "index").unlink()
    (run / "index").mkdir()
    (run / "index" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="no index.json.; it is where the run keeps its "
                                          "index: move it away, or give --out FOLDER"):
        build_index(run, new_pairs, progress=False)


def test_a_run_that_cannot_be_written_in_is_said_before_its_own_index(tmp_path, embed_run,
                                                                         new_pairs, monkeypatch):
    """No --out, on a run on a read-only disk: one OutputError naming the run, as --out
    elsewhere gets; the lock beside the run's index was an OSError traceback."""
    import os
    import shutil
    from pathlib import Path

    run = tmp_path / "run"
    shutil.copytree(embed_run, run)
    shutil.rmtree(run / "index", ignore_errors=True)  # built by another test
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != run
                        and access(path, mode))
    with pytest.raises(OutputError, match=f"index: cannot write in {run} .permission denied"):
        build_index(run, new_pairs, progress=False)
    assert not (run / "index").exists()


def test_a_build_that_fails_before_any_part_leaves_no_index(tmp_path, embed_run, new_pairs,
                                                             monkeypatch):
    """A bad row past the first, or a stop, before any part is embedded: the folder is as it
    was (none, or empty), not an empty index that --index would take."""
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(new_pairs.read_text() + json.dumps(
        {"id": 999, "origin_query": "drill", "item_title": "cordless drill"}) + "\n")
    with pytest.raises(InputError, match="line 61, field 'category_path'"):
        build_index(embed_run, mixed, out=tmp_path / "ix", progress=False)
    assert not (tmp_path / "ix").exists()
    # the parent folders it made for the index go too; one that was there stays
    with pytest.raises(InputError, match="line 61"):
        build_index(embed_run, mixed, out=tmp_path / "new" / "deeper" / "ix", progress=False)
    assert not (tmp_path / "new").exists() and tmp_path.is_dir()
    (tmp_path / "made").mkdir()
    with pytest.raises(InputError, match="line 61"):
        build_index(embed_run, mixed, out=tmp_path / "made", progress=False)
    assert (tmp_path / "made").is_dir() and not any((tmp_path / "made").iterdir())

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Encoder, "encode", stopped)
    with pytest.raises(KeyboardInterrupt):
        build_index(embed_run, new_pairs, out=tmp_path / "ix", progress=False)
    assert not (tmp_path / "ix").exists()
    with pytest.raises(KeyboardInterrupt):
        build_index(embed_run, new_pairs, out=tmp_path / "new2" / "deeper" / "ix",
                    progress=False)
    assert not (tmp_path / "new2").exists()


@pytest.mark.parametrize("given", [False, True])
def test_a_failed_build_keeps_what_a_user_put_in_its_folders(tmp_path, embed_run, new_pairs,
                                                             monkeypatch, caplog, given):
    """A build that failed before its first part removed the index folder it made whole (or
    emptied the empty one it was given): a file a user put in it, or in its build-* parts
    folder, while it ran went too. Now only what the build wrote goes (the marker, build.json,
    the folders left empty); the user's files stay, with their folders, said in one line."""
    out = tmp_path / "ix"
    if given:
        out.mkdir()

    def failing(self, texts, kind="query"):
        (parts,) = out.glob("*/build-*")
        (parts / "mine.txt").write_text("the user's")
        (out / "notes.txt").write_text("the user's")
        raise RuntimeError("the encoder failed")

    monkeypatch.setattr(Encoder, "encode", failing)
    with caplog.at_level("WARNING"), pytest.raises(RuntimeError, match="the encoder failed"):
        build_index(embed_run, new_pairs, out=out, progress=False)
    (parts,) = out.glob("*/build-*")
    kept = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert kept == [str(parts.relative_to(out) / "mine.txt"), "notes.txt"]
    assert all(p.read_text() == "the user's" for p in out.rglob("*") if p.is_file())
    assert (f"{out}: kept, as it holds {parts.parent.name}/{parts.name}/mine.txt, notes.txt, "
            "which no index build wrote (the build's own files in it were removed); move "
            "them out and delete the folder") in caplog.messages


def test_a_bad_line_past_the_first_part_is_told_before_anything_is_embedded(
        tmp_path, embed_run, new_pairs, encoded, monkeypatch):
    """It was found once the parts before it had been embedded (4,096 texts a part)."""
    from shoprel.models.backbones import target_index

    monkeypatch.setattr(target_index, "PART_TEXTS", 8)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(new_pairs.read_text() + '{"id": 999, "origin_query": "drill"}\n')
    with pytest.raises(InputError, match="line 61, field 'category_path'"):
        build_index(embed_run, mixed, out=tmp_path / "ix", progress=False)
    assert encoded == [] and not (tmp_path / "ix").exists()


def test_a_bad_target_file_is_refused_before_any_model_loads(tmp_path, embed_run, trained_runs,
                                                             monkeypatch):
    """The run's models (the default model's encoder: ~30 s) were loaded before a line of the
    file was read: an empty file, a file of the other task or a bad line was told only then,
    and a fast run's file not at all ('embed nothing' came first, and again once the run was
    fixed). The file is now read whole first."""
    def no_model(self):
        raise AssertionError("a model was loaded before the file was checked")

    monkeypatch.setattr(Run, "load_models", no_model)
    empty, qi, bad = tmp_path / "empty.jsonl", tmp_path / "qi.jsonl", tmp_path / "bad.jsonl"
    empty.write_text("")
    qi.write_text('{"id": 1, "origin_query": "drill", "item_title": "cordless drill"}\n')
    bad.write_text('{"category_path": "a,b"}\n{"category_path": "c", oops\n')
    for run in (embed_run, trained_runs["QC"]):
        for path, said in ((empty, f"{empty}: holds no category_path texts to index"),
                           (qi, f"{qi}, line 1, field 'category_path': column missing (the "
                                f"file looks like a QI file), but run {run} scores QC pairs; "
                                "index it with a QI run"),
                           (bad, f"{bad}, line 2: malformed JSON")):
            with pytest.raises(InputError) as info:
                build_index(run, path, out=tmp_path / "ix", progress=False)
            assert str(info.value).startswith(said)
    assert not (tmp_path / "ix").exists()


def _texts_from(client, source):
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if (sample.name == "shoprel_embedding_texts_total"
                    and sample.labels.get("source") == source):
                return sample.value
    raise AssertionError(f"no shoprel_embedding_texts_total{{source={source!r}}}")


def test_serve_keeps_recent_queries_in_memory(tmp_path, embed_run, monkeypatch):
    _fresh_cache(monkeypatch, tmp_path / "cache-serve")
    body = {"pairs": [{"query": "running shoes", "category_path": "sports,shoes"},
                      {"query": "red dress", "category_path": "women,dresses"}]}
    app = create_app(embed_run, ServeSettings(max_wait_ms=0, recent_texts=1000))
    with TestClient(app) as client:
        first = client.post("/v1/score", json=body).json()
        misses = _texts_from(client, "encoded")
        assert misses >= 2 and _texts_from(client, "memory") == 0
        second = client.post("/v1/score", json=body).json()
        assert _texts_from(client, "memory") >= 2  # both queries: hits
        assert _texts_from(client, "encoded") == misses  # nothing encoded again
    assert [r["probability"] for r in first["results"]] == [
        r["probability"] for r in second["results"]]


def test_an_index_given_to_a_run_that_embeds_nothing_is_refused(tmp_path, embed_run,
                                                                 trained_runs, new_pairs):
    """`--index` on a fast run was quietly ignored; `shoprel index` refuses such runs too."""
    from shoprel.errors import ConfigError
    from shoprel.predict.predictor import open_predictor

    build_index(embed_run, new_pairs, out=tmp_path / "ix", progress=False)
    with pytest.raises(ConfigError, match="--index: the models of .* embed nothing "
                                          ".family fast."):
        open_predictor(trained_runs["QC"], [tmp_path / "ix"])
    open_predictor(trained_runs["QC"])  # without one it scores as before


def test_an_index_of_another_backbone_is_refused_by_name(tmp_path, embed_run, new_pairs):
    """An index built for another run's backbone was read for nothing: every target was
    embedded again, with no word of why."""
    from shoprel.errors import ConfigError
    from shoprel.predict.predictor import open_predictor, predict_file

    ours = tmp_path / "ours"
    build_index(embed_run, new_pairs, out=ours, progress=False)
    other = tmp_path / "other"
    other.mkdir()
    (other / MARKER).write_text((ours / MARKER).read_text())
    held = other / "use-multilingual-0123456789abcdef"
    held.mkdir()
    (held / "meta.json").write_text(json.dumps({"format": 1, "fingerprint": "sha256:0123",
                                                "dim": 512}))
    with pytest.raises(ConfigError) as err:
        predict_file(embed_run, new_pairs, tmp_path / "pred.jsonl", indexes=[other],
                     progress=False)
    message = str(err.value)
    assert f"--index {other}: holds embeddings of use-multilingual-0123456789abcdef" in message
    [ours_name] = [p.name for p in ours.iterdir() if p.is_dir()]
    assert f"({ours_name} as the run was trained)" in message and "\n" not in message
    assert not (tmp_path / "pred.jsonl").exists()
    open_predictor(embed_run, [ours])  # its own backbone's index is taken
    with pytest.raises(ConfigError, match="holds embeddings of use-multilingual"):
        open_predictor(embed_run, [ours, other])


def test_an_index_given_to_an_ensemble_of_runs_that_embed_nothing_is_refused(
        tmp_path, embed_run, qc_runs, new_pairs):
    from shoprel.ensemble.runner import build_ensemble
    from shoprel.errors import ConfigError
    from shoprel.predict.predictor import open_predictor

    build_index(embed_run, new_pairs, out=tmp_path / "ix", progress=False)
    ensemble = build_ensemble(list(qc_runs), tmp_path / "ens").out_dir
    with pytest.raises(ConfigError, match="--index: the models of .* embed nothing"):
        open_predictor(ensemble, [tmp_path / "ix"])
    open_predictor(ensemble)


def test_an_ensemble_with_a_member_that_embeds_nothing_reads_its_index(
        tmp_path, embed_run, trained_runs, new_pairs, monkeypatch):
    """An ensemble of an embedding run and a fast one (the default beside a cross-encoder, say):
    its fast member refused the folders given to the ensemble, so `shoprel index ENS FILE`
    left the ensemble unable to score at all ('--index: the models of ... embed nothing',
    with no --index given) and `--index` was refused. The embedding member reads them, and
    the scores are those without an index."""
    from shoprel.ensemble.runner import build_ensemble
    from shoprel.predict.predictor import open_predictor

    frame = read_pairs(new_pairs)
    ensemble = build_ensemble([embed_run, trained_runs["QC"]], tmp_path / "ens").out_dir
    _fresh_cache(monkeypatch, tmp_path / "cache-plain")
    plain = open_predictor(ensemble).probabilities(frame)
    build_index(embed_run, new_pairs, out=tmp_path / "ix", progress=False)
    build_index(ensemble, new_pairs, progress=False)  # the ensemble's own index
    for given in ([], [tmp_path / "ix"]):
        _fresh_cache(monkeypatch, tmp_path / f"cache-{len(given)}")
        predictor = open_predictor(ensemble, given)
        np.testing.assert_allclose(predictor.probabilities(frame), plain, atol=1e-5, rtol=0)
        assert predictor.embedding_counts()["index"] > 0


def test_a_cascade_whose_student_embeds_nothing_takes_an_index(tmp_path, train_embed_run,
                                                               new_pairs):
    """A default-family run carrying a fast student: `--scorer cascade --index DIR` was
    refused because the student embeds nothing, though the full model, which rescores, reads
    the index; `--scorer student` with it is still refused."""
    from tests.conftest import FAST_STUDENT

    from shoprel.errors import ConfigError
    from shoprel.predict.predictor import open_predictor

    run = train_embed_run(tmp_path / "carrier", "QC", ["new level"],
                          {"folds.k": 3, "model.params.n_features": 2**16,
                           "model.params.n_estimators": 40, "student": FAST_STUDENT})
    build_index(run, new_pairs, out=tmp_path / "ix", progress=False)
    cascade = open_predictor(run, [tmp_path / "ix"], scorer="cascade")
    assert len(cascade.probabilities(read_pairs(new_pairs))) == 60
    with pytest.raises(ConfigError, match="--index: the models of .*student embed nothing"):
        open_predictor(run, [tmp_path / "ix"], scorer="student")


def stop_at_the_third_batch(monkeypatch):
    """Index builds in parts of 16 texts (several for the 60 new paths) whose encoder is
    stopped (Ctrl-C) at its third batch; gives the real encode and the batch sizes seen."""
    from shoprel.models.backbones import target_index

    monkeypatch.setattr(target_index, "PART_TEXTS", 16)
    encode, calls = Encoder.encode, []

    def stopped_at_the_third(self, texts, kind="query"):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return encode(self, texts, kind=kind)

    monkeypatch.setattr(Encoder, "encode", stopped_at_the_third)
    return encode, calls


def test_a_build_stopped_after_a_part_says_it_kept_it(tmp_path, embed_run, new_pairs,
                                                       monkeypatch):
    """Stopped once a part is finished: the CLI's line says the embeddings are kept for a
    rerun (not "what was not finished was removed"), and the rerun goes on from them."""
    from click.testing import CliRunner

    from shoprel.cli.app import main

    encode, calls = stop_at_the_third_batch(monkeypatch)
    out = tmp_path / "ix"
    result = CliRunner().invoke(main, ["index", str(embed_run), str(new_pairs), "--out",
                                       str(out), "--quiet"])
    assert result.exit_code == 130
    assert result.stderr.splitlines() == [f"interrupted: the embeddings finished so far are "
                                          f"kept in {out}; run the same command again to go "
                                          "on from them"]
    monkeypatch.setattr(Encoder, "encode", encode)
    again = CliRunner().invoke(main, ["index", str(embed_run), str(new_pairs), "--out",
                                      str(out), "--quiet"])
    assert again.exit_code == 0, again.output
    # the rerun's line tells the part taken over from the texts embedded now: it counted
    # both as "new texts added", as if all had been embedded now
    [line] = again.output.splitlines()  # 2 parts of 16 kept
    assert re.fullmatch(r"60 targets read \(35 distinct\); 113 new texts added to the index "
                        r"\(targets and their category paths' level names\) in [\d.]+ s "
                        r"\(81 embedded now, 32 kept from a stopped build\) → .*", line)
    assert sum(calls[:2]) > 0


def test_index_targets_stopped_after_a_part_says_to_call_it_again(tmp_path, embed_run,
                                                                  new_pairs, monkeypatch):
    """Stopped once a part is finished, index_targets said "run the same command again": a
    Python caller ran no command. Its Interrupted (still a KeyboardInterrupt) says to call it
    again with the same arguments, which goes on from the kept part; the command keeps its
    line (the test above)."""
    import shoprel
    from shoprel.errors import Interrupted

    encode, calls = stop_at_the_third_batch(monkeypatch)
    out = tmp_path / "ix"
    with pytest.raises(Interrupted) as stopped:
        shoprel.index_targets(embed_run, new_pairs, out=out, progress=False)
    said = (f"interrupted: the embeddings finished so far are kept in {out}; call "
            "`shoprel.index_targets(...)` again with the same arguments to go on from them")
    assert (str(stopped.value), stopped.value.note) == (said, said)
    assert isinstance(stopped.value, KeyboardInterrupt)
    monkeypatch.setattr(Encoder, "encode", encode)
    again = shoprel.index_targets(embed_run, new_pairs, out=out, progress=False)
    assert again.resumed > 0


# shoprel.index_targets with the stand-in encoder that waits at its third batch (conftest);
# argv: run, file, out, and "own" where the calling program has a SIGTERM handler of its own
# (which exits 3). It prints what it caught and whether SIGTERM's handler is the one it had
# before the call.
PYTHON_SLOW_BUILD = "import signal, sys\nimport shoprel\n" + WAITING_INDEX_ENCODER + """
run, targets, out, handler = sys.argv[1:]
if handler == "own":
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(3))
before = signal.getsignal(signal.SIGTERM)
try:
    shoprel.index_targets(run, targets, out=out, progress=False)
except KeyboardInterrupt as stop:
    print(stop, flush=True)
    print("handler restored:", signal.getsignal(signal.SIGTERM) is before, flush=True)
"""


@pytest.mark.parametrize("handler", ["default", "own"])
def test_index_targets_stopped_by_sigterm_keeps_its_parts_as_the_command_does(
        tmp_path, embed_run, handler):
    """`shoprel index` stops on SIGTERM as on Ctrl-C (the CLI's handler), keeping the parts
    written and saying so; from Python, SIGTERM ended the process at once, mid-part, saying
    nothing. index_targets turns it into the same interrupt for the call's length, where
    SIGTERM is at its default (which ends the process skipping every `finally`), then puts
    the default back; a program's own handler is left to do what it does (here exit 3)."""
    import signal
    import subprocess
    import sys

    targets = tmp_path / "c.txt"
    targets.write_text("".join(f"home,kitchen,item {i}\n" for i in range(30)),
                       encoding="utf-8")
    out = tmp_path / "ix"
    build = subprocess.Popen(
        [sys.executable, "-c", PYTHON_SLOW_BUILD, str(embed_run), str(targets), str(out),
         handler],
        env={**os.environ, CACHE_ENV: str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert build.stdout.readline() == "waiting\n", build.communicate(timeout=60)
        build.send_signal(signal.SIGTERM)
        said, err = build.communicate(timeout=60)
    finally:
        build.kill()
    if handler == "own":
        assert (build.returncode, said) == (3, ""), err
    else:
        assert build.returncode == 0, err
        assert said.splitlines() == [
            f"interrupted: the embeddings finished so far are kept in {out}; call "
            "`shoprel.index_targets(...)` again with the same arguments to go on from them",
            "handler restored: True"]
    assert len(list(out.rglob("*.keys.npy"))) == 2  # the two parts written


def test_a_file_rewritten_to_the_same_size_is_another_build(tmp_path, embed_run, new_pairs,
                                                            monkeypatch):
    """A killed build's parts are resumed only for the file as it was: rewritten in another
    order (same path, same size) it is another build, whose parts are merged, not resumed."""
    from shoprel.models.embed.model import EmbedModel

    build_ids, index_targets = [], EmbedModel.index_targets

    def recording(self, folder, items, build_id, on_part=None):
        build_ids.append(build_id)
        return index_targets(self, folder, items, build_id, on_part)

    monkeypatch.setattr(EmbedModel, "index_targets", recording)
    out = tmp_path / "ix"
    build_index(embed_run, new_pairs, out=out, progress=False)
    build_index(embed_run, new_pairs, out=out, progress=False)
    size = new_pairs.stat().st_size
    new_pairs.write_text("".join(reversed(new_pairs.read_text().splitlines(keepends=True))))
    os.utime(new_pairs, ns=(0, new_pairs.stat().st_mtime_ns + 1_000_000))
    assert new_pairs.stat().st_size == size
    build_index(embed_run, new_pairs, out=out, progress=False)
    first, again, rewritten = build_ids  # the fold models share one backbone: one build each
    assert again == first and rewritten != first


def test_an_index_whose_build_was_stopped_is_refused_with_the_way_to_finish_it(
        tmp_path, embed_run, new_pairs, monkeypatch):
    """--index on a folder whose only build was stopped before any segment was joined said
    'holds embeddings of nothing, none of them of this run's backbone' and to build one."""
    from shoprel.errors import ConfigError, Interrupted
    from shoprel.predict.predictor import open_predictor

    encode, calls = stop_at_the_third_batch(monkeypatch)
    out = tmp_path / "ix"
    with pytest.raises(Interrupted):
        build_index(embed_run, new_pairs, out=out, progress=False)
    [name] = [p.name for p in out.iterdir() if p.is_dir()]
    with pytest.raises(ConfigError) as err:
        open_predictor(embed_run, [out])
    assert str(err.value) == (
        f"--index {out}: holds no finished embeddings of this run's backbone ({name} as the "
        f"run was trained); a build of it was stopped before it finished: run `shoprel index "
        f"{embed_run} FILE --out {out}` again with the same FILE to finish it")
    monkeypatch.setattr(Encoder, "encode", encode)
    build_index(embed_run, new_pairs, out=out, progress=False)
    open_predictor(embed_run, [out])  # finished: taken
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / MARKER).write_text((out / MARKER).read_text())
    with pytest.raises(ConfigError, match=r"holds no finished embeddings of this run's backbone "
                                          r".*; build one with `shoprel index"):
        open_predictor(embed_run, [empty])


def test_an_index_being_built_is_not_said_to_be_stopped(tmp_path, embed_run, new_pairs,
                                                          monkeypatch):
    """--index on a folder `shoprel index` was building at that moment said "a build of it was
    stopped before it finished: run ... again", which would start a second build (refused by
    its lock); it now names the running build's pid and says to wait."""
    from shoprel.errors import ConfigError, Interrupted
    from shoprel.predict.predictor import open_predictor
    from shoprel.utils.atomic import lock_text

    stop_at_the_third_batch(monkeypatch)
    out = tmp_path / "ix"
    with pytest.raises(Interrupted):
        build_index(embed_run, new_pairs, out=out, progress=False)
    (tmp_path / ".ix.lock").write_bytes(lock_text(os.getpid()))  # as a live build holds it
    with pytest.raises(ConfigError) as err:
        open_predictor(embed_run, [out])
    assert str(err.value).endswith(f"a build of it is running now (pid {os.getpid()}): wait "
                                   "for it to finish, then score")


def test_predict_draws_the_encoders_bar_for_a_few_new_texts(tmp_path, embed_run, new_pairs,
                                                             monkeypatch, encoded, bar_updates):
    """A file under 20,000 rows is one chunk, whose scoring bar moves only at the end: a
    default run's 501 rows of new queries showed nothing for 30 s while ~500 texts, under the
    1,000 that drew the encoder's bar, were embedded. predict now draws it for any count
    (shown once it has lasted 2 s); progress=False draws none."""
    from shoprel.predict.predictor import predict_file

    _fresh_cache(monkeypatch, tmp_path / "cache")
    predict_file(embed_run, new_pairs, tmp_path / "pred.jsonl", progress=True)
    assert 0 < sum(kind == "query" for kind, _ in encoded) < 1000  # (targets: maybe indexed)
    for kind, desc in (("query", "embedding queries"), ("passage", "embedding passages")):
        steps = [n for d, n, _ in bar_updates if d == desc]
        assert sum(steps) == sum(k == kind for k, _ in encoded)  # every text, in bars
    bar_updates.clear()
    _fresh_cache(monkeypatch, tmp_path / "cache-quiet")
    predict_file(embed_run, new_pairs, tmp_path / "quiet.jsonl", progress=False)
    assert bar_updates == []


def test_a_rerun_with_nothing_new_loads_no_encoder(tmp_path, embed_run, new_pairs, monkeypatch):
    """A rerun over targets the index holds embeds nothing, so it loads no encoder
    (EmbeddingGemma takes ~10 s to load on 2 cores); one new target loads it."""
    import shoprel.models.embed.model as embed_model

    out = tmp_path / "ix"
    first = build_index(embed_run, new_pairs, out=out, progress=False)
    assert first.added > 0

    def no_encoder(*args, **kwargs):
        raise AssertionError("the encoder was loaded")

    monkeypatch.setattr(embed_model, "make_encoder", no_encoder)
    again = build_index(embed_run, new_pairs, out=out, progress=False)
    assert (again.targets, again.added) == (first.targets, 0)

    more = tmp_path / "more.txt"  # one target neither the index nor the cache holds
    more.write_text(f"a category never indexed {os.getpid()} {tmp_path.name}\n",
                    encoding="utf-8")
    with pytest.raises(AssertionError, match="the encoder was loaded"):
        build_index(embed_run, more, out=out, progress=False)


def test_a_failed_build_whose_folder_is_gone_says_its_own_error(tmp_path, embed_run, new_pairs,
                                                                monkeypatch):
    """The clean-up of a build that failed before its first part listed the index folder it
    made: one removed meanwhile (by hand, from another shell) raised FileNotFoundError in its
    place, a traceback hiding the build's own error; the folder's whole removal it replaced
    ignored it."""
    import shutil

    out = tmp_path / "ix"

    def failing(self, texts, kind="query"):
        shutil.rmtree(out)
        raise RuntimeError("the encoder failed")

    monkeypatch.setattr(Encoder, "encode", failing)
    with pytest.raises(RuntimeError, match="the encoder failed"):
        build_index(embed_run, new_pairs, out=out, progress=False)
    assert not out.exists()
