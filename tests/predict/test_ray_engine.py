import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from shoprel.errors import InputError
from shoprel.predict.predictor import predict_file

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'ray[data]')")

from shoprel.predict.ray_engine import predict_file_ray  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One 2-CPU Ray instance for the module: start-up is the expensive part."""
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level="WARNING")
    yield
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def big_input(tmp_path_factory, qc_demo_rows):
    """The demo rows three times over with fresh ids (1,080 rows): several blocks and batches."""
    rows = [dict(row, id=copy * 10_000 + row["id"]) for copy in range(3) for row in qc_demo_rows]
    path = tmp_path_factory.mktemp("ray_in") / "test_QC.txt"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def qc_demo_rows():
    from shoprel.demo import demo_file

    lines = demo_file("QC").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_jsonl_is_byte_identical_to_local_engine(tmp_path, trained_runs, big_input):
    # Small batches: 12 blocks over two actors, so order must be restored across them.
    local = predict_file(trained_runs["QC"], big_input, tmp_path / "local.jsonl", progress=False)
    remote = predict_file_ray(trained_runs["QC"], big_input, tmp_path / "ray.jsonl",
                              num_actors=2, batch_rows=97, progress=False)
    assert remote.rows == local.rows == 1080
    assert remote.positives == local.positives > 0
    assert remote.threshold == local.threshold
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


# Each Ray run costs seconds of actor start-up on the shared 2-core machine: TSV shares the CSV
# code path (append_table), so it is left to the local engine's tests. One actor: the driver
# writes the batches in order whatever scored them (two actors, and the order restored across
# them, are the JSON lines test's), and a second actor starting beside it cost ~1.5 s a run.
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_other_formats_match_local_engine_row_for_row(tmp_path, trained_runs, big_input, suffix):
    predict_file(trained_runs["QC"], big_input, tmp_path / f"local{suffix}", progress=False)
    result = predict_file_ray(trained_runs["QC"], big_input, tmp_path / f"ray{suffix}",
                              num_actors=1, batch_rows=150, progress=False)
    if suffix == ".parquet":
        local = pd.read_parquet(tmp_path / f"local{suffix}")
        remote = pd.read_parquet(tmp_path / f"ray{suffix}")
    else:
        local = pd.read_csv(tmp_path / f"local{suffix}")
        remote = pd.read_csv(tmp_path / f"ray{suffix}")
        assert ((tmp_path / f"ray{suffix}").read_bytes()
                == (tmp_path / f"local{suffix}").read_bytes())
    assert result.rows == len(remote) == 1080
    assert list(remote.columns) == ["id", "language", "origin_query", "category_path",
                                    "prediction", "probability"]
    pd.testing.assert_frame_equal(remote, local)
    assert np.unique(remote["id"]).size == 1080


def test_bad_input_gives_the_local_engines_error_and_no_output(tmp_path, trained_runs,
                                                               qc_demo_rows):
    rows = [dict(row) for row in qc_demo_rows[:20]]
    del rows[12]["origin_query"]
    broken = tmp_path / "broken.txt"
    broken.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    with pytest.raises(InputError) as local_error:
        predict_file(trained_runs["QC"], broken, tmp_path / "local.jsonl", progress=False)
    with pytest.raises(InputError) as ray_error:
        predict_file_ray(trained_runs["QC"], broken, tmp_path / "out" / "ray.jsonl",
                         progress=False)
    assert str(ray_error.value) == str(local_error.value)
    assert "line 13" in str(ray_error.value) and "origin_query" in str(ray_error.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_ray_engine_scores_with_the_carried_student(tmp_path, student_run, big_input):
    local = predict_file(student_run, big_input, tmp_path / "local.jsonl", progress=False,
                         scorer="student")
    remote = predict_file_ray(student_run, big_input, tmp_path / "ray.jsonl", num_actors=1,
                              batch_rows=500, progress=False, scorer="student")
    assert remote.threshold == local.threshold
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_no_more_actors_than_blocks(tmp_path, trained_runs, qc_demo_rows, recwarn):
    """A file of one block asked for two actors starts one: Ray would warn of the idle one."""
    path = tmp_path / "small_QC.txt"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in qc_demo_rows[:40]),
                    encoding="utf-8")
    local = predict_file(trained_runs["QC"], path, tmp_path / "local.jsonl", progress=False)
    remote = predict_file_ray(trained_runs["QC"], path, tmp_path / "ray.jsonl", num_actors=2,
                              progress=False)
    assert remote.rows == local.rows == 40
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert not [w for w in recwarn if "concurrent actors" in str(w.message)]


def test_a_quiet_run_writes_nothing_to_stderr(tmp_path, trained_runs, qc_demo_rows, capfd):
    """Ray's C++ core writes past Python's logging (an error line about actor restarts on
    every run): --quiet (progress=False) silences it too; errors are still raised."""
    path = tmp_path / "small_QC.txt"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in qc_demo_rows[:40]),
                    encoding="utf-8")
    capfd.readouterr()
    predict_file_ray(trained_runs["QC"], path, tmp_path / "ray.jsonl", num_actors=1,
                     progress=False)
    assert capfd.readouterr().err == ""
    with pytest.raises(InputError, match="no_such_QC.txt"):
        predict_file_ray(trained_runs["QC"], tmp_path / "no_such_QC.txt",
                         tmp_path / "other.jsonl", progress=False)
    print("still here", file=sys.stderr)
    assert capfd.readouterr().err == "still here\n"  # the descriptor is given back


def test_an_actor_s_error_is_shoprel_s_one_line_and_stdout_stays_empty(tmp_path, trained_runs,
                                                                      qc_demo_rows):
    """A run whose model file is broken: every actor fails in its constructor. Ray printed each
    retry's traceback on stdout (where a script reads predict's result) and Ray Data its ERROR
    lines and the traceback again on stderr, before the one line the local engine says."""
    broken = tmp_path / "broken_run"
    shutil.copytree(trained_runs["QC"], broken)
    model = broken / "models" / "full" / "lightgbm.txt"
    model.write_bytes(model.read_bytes()[:100])
    path = tmp_path / "small_QC.txt"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in qc_demo_rows[:40]),
                    encoding="utf-8")
    # a process of its own each (Ray started as the command starts it), side by side: the
    # local engine's is done while Ray starts
    running = {engine: subprocess.Popen(
        [sys.executable, "-m", "shoprel", "predict", str(broken), str(path),
         "--out", str(tmp_path / f"{engine}.csv"), "--engine", engine],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for engine in ("local", "ray")}
    try:
        said = {}
        for engine, process in running.items():
            out, err = process.communicate(timeout=300)
            said[engine] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
    local, remote = said["local"], said["ray"]
    assert local.returncode == remote.returncode == 2
    assert remote.stdout == local.stdout == ""
    assert remote.stderr == local.stderr
    assert local.stderr.startswith("error: ") and local.stderr.count("\n") == 1
    assert "lightgbm.txt: the booster file is damaged or cut short" in local.stderr
    assert not (tmp_path / "ray.csv").exists()


def test_ray_s_processes_write_nothing_on_stdout_when_the_user_logs_ray_to_stderr(
        tmp_path, trained_runs, qc_demo_rows):
    """RAY_LOG_TO_STDERR=1 (a container's setting, so that Ray logs to the console) left the
    processes of the local instance unredirected: they wrote on predict's stdout ("Running on
    http://...", ":job_id:01000000", 13 lines), --quiet or not, where a script reads its one
    result line."""
    import os

    path = tmp_path / "small_QC.txt"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in qc_demo_rows[:40]),
                    encoding="utf-8")
    out = tmp_path / "ray.csv"
    done = subprocess.run(
        [sys.executable, "-m", "shoprel", "predict", str(trained_runs["QC"]), str(path),
         "--out", str(out), "--engine", "ray", "--num-actors", "1", "--quiet"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, RAY_LOG_TO_STDERR="1"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1  # the result line alone
    assert done.stdout.startswith("40 rows scored, ") and done.stdout.endswith(f"→ {out}\n")


def test_bare_queries_to_a_translated_run_are_counted_as_locally(tmp_path, translated_run,
                                                                   trained_runs):
    """Rows a translated run scores on the bare query: counted by the driver as the local
    engine counts them (the CLI says it in one warning line), not warned by every actor."""
    run, bare = translated_run
    local = predict_file(run, bare, tmp_path / "local.jsonl", progress=False)
    remote = predict_file_ray(run, bare, tmp_path / "ray.jsonl", num_actors=1, progress=False)
    assert remote.bare_rows == local.bare_rows == remote.rows > 0
    assert remote.bare_languages == local.bare_languages  # by language, as the CLI says them
    assert sum(local.bare_languages.values()) == local.bare_rows
    assert not remote.translation_column and not local.translation_column
    translated = predict_file_ray(run, run.parent / "translated.jsonl",
                                  tmp_path / "translated.jsonl", num_actors=1, progress=False)
    assert translated.bare_rows == 0 and translated.rows == remote.rows
    plain = predict_file_ray(trained_runs["QC"], bare, tmp_path / "plain.jsonl", num_actors=1,
                             progress=False)
    assert plain.bare_rows == 0  # a run trained on bare queries wants no translation


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_input_without_rows_is_refused_as_locally(tmp_path, trained_runs, suffix):
    """Both engines wrote an empty submission for an input without rows (Ray Data yields no
    batch for an empty block: its output was 0 bytes until it wrote the local engine's); such
    an input is now refused by both, in the same line, before any actor starts."""
    empty = tmp_path / "empty_QC.jsonl"
    empty.write_text("", encoding="utf-8")
    said = []
    for engine in (predict_file, predict_file_ray):
        with pytest.raises(InputError) as refused:
            engine(trained_runs["QC"], empty, tmp_path / f"{engine.__name__}{suffix}",
                   progress=False)
        said.append(str(refused.value))
    assert said == [f"{empty}: the file has no rows"] * 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty_QC.jsonl"]


@pytest.fixture(scope="module")
def mixed_rows_scored(tmp_path_factory, trained_runs, qc_demo_rows):
    """40 demo rows, each fifth in a language the run never saw ('sw'), each fifth from the
    second in a region tag of a training language ('FR-ZZ'), line 7's target null and line
    10's query blank, scored by both engines (blocks of 8 rows, one actor): one Ray run for
    the tests of what the driver counts, each Ray run being seconds of actor start-up.
    (folder, local result, Ray result); the outputs are folder/local.jsonl and ray.jsonl."""
    rows = [dict(row, language="sw") if i % 5 == 0 else dict(row)  # not the module's rows
            for i, row in enumerate(qc_demo_rows[:40])]
    for row in rows[1::5]:  # a region tag of a training language is none new, as locally
        row["language"] = f"{row['language'].upper()}-ZZ"
    rows[6]["category_path"] = None
    rows[9]["origin_query"] = " "
    folder = tmp_path_factory.mktemp("ray_mixed")
    path = folder / "mixed_QC.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    local = predict_file(trained_runs["QC"], path, folder / "local.jsonl", progress=False)
    remote = predict_file_ray(trained_runs["QC"], path, folder / "ray.jsonl", num_actors=1,
                              batch_rows=8, progress=False)
    return folder, local, remote


def test_rows_in_languages_the_run_never_saw_are_counted_as_locally(mixed_rows_scored):
    """The Ray engine returned no new languages: `predict --engine ray` never printed the
    warning the local engine prints for rows its cross-validation says nothing about."""
    folder, local, remote = mixed_rows_scored
    assert remote.new_languages == local.new_languages == {"sw": 8}
    # the region tags reach the actors mapped by the driver: scored as the local engine does
    assert (folder / "ray.jsonl").read_bytes() == (folder / "local.jsonl").read_bytes()


def test_the_actors_score_the_tags_the_driver_mapped_without_mapping_them_again(
        trained_runs, qc_demo_rows, monkeypatch):
    """The driver mapped each block's tags ('FR-ZZ' as 'fr') to count new languages, and each
    actor mapped the same rows again to score them. The blocks now carry the mapped tags and
    the actor scores those: same submission, no second mapping."""
    import pyarrow as pa

    import shoprel.predict.languages as languages
    from shoprel.data.frame import PairFrame
    from shoprel.data.tasks import Task
    from shoprel.predict.predictor import Predictor, training_languages
    from shoprel.predict.ray_engine import TRAINED_LANGUAGE, ScoreBatches, blocks_as_trained
    from shoprel.run.folder import Run

    rows = pd.DataFrame(qc_demo_rows[:30]).rename(columns={"origin_query": "query",
                                                           "category_path": "target"})
    moved = rows.assign(language=[f"{tag.upper()}-ZZ" if i % 3 == 0 else tag
                                  for i, tag in enumerate(rows["language"])])
    known = training_languages(Run.open(trained_runs["QC"]))
    blocks, new_languages = blocks_as_trained([moved[:15], moved[15:]], known, known)
    assert not new_languages
    assert list(blocks[0]["language"][:2]) == [f"{rows['language'][0].upper()}-ZZ",
                                               rows["language"][1]]
    assert list(blocks[0][TRAINED_LANGUAGE]) == list(rows["language"][:15])
    plain, _ = blocks_as_trained([rows[:15]], known, known)  # nothing moves: nothing more to ship
    assert list(plain[0].columns) == list(rows.columns)

    expected = Predictor(trained_runs["QC"]).submission(PairFrame(Task.QC, moved[:15]))
    actor = ScoreBatches(str(trained_runs["QC"]), "QC")
    calls = []
    mapping = languages.moved_tags
    monkeypatch.setattr(languages, "moved_tags",
                        lambda tags, known: calls.append(1) or mapping(tags, known))
    scored = actor(pa.Table.from_pandas(blocks[0], preserve_index=False)).to_pandas()
    assert calls == []
    pd.testing.assert_frame_equal(scored, expected)


def test_rows_per_tag_are_counted_as_locally(mixed_rows_scored):
    """Rows per tag as read, from which `predict` notes tags that are no language code
    ('xx'), as train does: counted by the driver as by the local engine."""
    _, local, remote = mixed_rows_scored
    assert remote.languages == local.languages
    assert local.languages["sw"] == 8 and sum(local.languages.values()) == 40
    assert json.loads(json.dumps(local.languages)) == local.languages  # plain ints
    assert sum(n for tag, n in local.languages.items() if tag.endswith("-ZZ")) == 8


def test_rows_with_empty_texts_are_counted_as_locally(mixed_rows_scored):
    """Rows with a null or empty text: counted by the driver as by the local engine, which
    `predict` says in one note (both engines), where they went unsaid."""
    _, local, remote = mixed_rows_scored
    assert remote.empty_texts == local.empty_texts == {
        "empty_query": 1, "empty_target": 1, "first_empty_line": 7}
