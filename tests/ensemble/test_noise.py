import json

import numpy as np
import pandas as pd
import pytest
from tests.conftest import unrendered_report

import shoprel.demo
from shoprel.ensemble.noise import filter_training_file, find_noisy_rows, flag_noisy_rows
from shoprel.errors import InputError
from shoprel.models.backbones.cache import CACHE_ENV
from shoprel.training.config_reading import load_config
from shoprel.training.runner import train

FLIP_RATE = 0.1

# noise reads a run's out-of-fold scores, never its final model or its report: the runs here
# fit no final model (final.refit_full: false) and write no charts
pytestmark = pytest.mark.usefixtures("no_report_charts")


@pytest.fixture(scope="module")
def flipped_run(tmp_path_factory, user_builds_view):
    """QI demo with 10% of labels flipped, and a run of the default model (EmbeddingGemma, read
    from the user's cache through the suite's view of it) trained on it."""
    root = tmp_path_factory.mktemp("flipped")
    rows = [json.loads(line) for line in
            shoprel.demo.demo_file("QI").read_text(encoding="utf-8").splitlines() if line]
    rng = np.random.default_rng(0)
    flipped = set(rng.choice(len(rows), int(FLIP_RATE * len(rows)), replace=False).tolist())
    for i in flipped:
        rows[i]["label"] = 1 - rows[i]["label"]
    data = root / "qi_flipped.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(user_builds_view))
        # no test here reads the report or the far-pairs check: seconds of charts and scoring
        mp.setattr("shoprel.evaluate.report.document.run_report_html", unrendered_report)
        train(data, root / "run", load_config(None, {
            "folds.k": 3, "model.params.n_features": 65536, "model.params.n_estimators": 60,
            "model.params.n_jobs": 1, "check.far_pairs": 0, "student": None,
            "final.refit_full": False}), progress=False)
    return root / "run", {rows[i]["id"] for i in flipped}, data


def test_filter_on_the_small_demo_run_beats_chance(flipped_run):
    """The 360-row demo model is weak (OOF AUC ~0.7 on the true labels), so it cannot find
    most flips; it must still find them far more often than flagging at random would."""
    run, flipped, _ = flipped_run
    found = find_noisy_rows(run)
    hits = len(set(found["id"]) & flipped)
    chance_recall = len(found) / 360
    assert hits / len(flipped) > 2.5 * chance_recall
    assert hits / len(found) > 2.5 * FLIP_RATE
    assert {"query", "target", "label_quality"} <= set(found.columns)
    assert found["label_quality"].is_monotonic_increasing


def test_filter_with_a_good_scorer_finds_most_flips(flipped_run, tmp_path, make_fake_run):
    """Same flipped file, OOF scores of a good model (AUC ~0.9 on the true labels)."""
    run, flipped, _ = flipped_run
    oof = pd.read_parquet(run / "oof.parquet")
    true = np.where(oof["id"].isin(flipped), 1 - oof["label"], oof["label"])
    rng = np.random.default_rng(3)
    good = np.clip(0.15 + 0.7 * true + rng.normal(0, 0.2, len(true)), 0.01, 0.99)
    found = find_noisy_rows(make_fake_run(run, tmp_path / "good", probabilities=good))
    hits = len(set(found["id"]) & flipped)
    assert hits / len(flipped) > 0.5
    assert hits / len(found) > 5 * FLIP_RATE


def test_filtered_file_drops_only_flagged_rows(flipped_run, tmp_path):
    _, flipped, data = flipped_run
    some = sorted(flipped)[:5]
    assert filter_training_file(data, some, tmp_path / "clean.jsonl") == 5
    kept = [json.loads(line)["id"] for line in (tmp_path / "clean.jsonl").read_text().split("\n")
            if line]
    assert len(kept) == 355 and not set(kept) & set(some)
    with pytest.raises(InputError, match="only 'drop'"):
        filter_training_file(data, some, tmp_path / "w.jsonl", mode="weight")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_filtered_file_takes_the_format_its_name_says(flipped_run, tmp_path, suffix):
    """A JSON-lines training file filtered into clean.csv is a CSV that train reads back."""
    from shoprel.data.readers import read_pairs

    _, flipped, data = flipped_run
    some = sorted(flipped)[:5]
    out = tmp_path / f"clean{suffix}"
    assert filter_training_file(data, some, out) == 5
    original, clean = read_pairs(data), read_pairs(out)
    assert len(clean) == 355 and not set(clean.df["id"].astype(int)) & set(some)
    kept = original.df[~original.df["id"].isin(some)].reset_index(drop=True)
    assert clean.df["query"].tolist() == kept["query"].tolist()
    assert clean.df["label"].tolist() == kept["label"].tolist()
    with pytest.raises(InputError, match=r"clean.xlsx: is named as a spreadsheet \(.xlsx\), "
                       r"which shoprel does not write; name it clean.csv, which a spreadsheet "
                       r"opens \(or .jsonl, .tsv, .parquet\)$"):
        filter_training_file(data, some, tmp_path / "clean.xlsx")
    assert not (tmp_path / "clean.xlsx").exists()


@pytest.mark.parametrize(("name", "out_name", "marked"), [
    ("t.jsonl", "clean.jsonl", True),   # line by line
    ("t.csv", "clean.csv", True),       # from the records
    ("t.csv.gz", "clean.csv", True),    # the mark inside the compressed text
    ("t.csv", "clean.jsonl", False),    # another format: none it never had
    ("t.csv", "clean.parquet", False),
])
def test_a_filtered_copy_keeps_its_inputs_byte_order_mark(tmp_path, name, out_name, marked):
    """A CSV saved for Excel starts with a byte-order mark (Excel reads UTF-8 without it in the
    system's code page); its filtered copy lost it, so the same file opened there came back
    garbled. A copy in the input's own format starts as the input did; one of an input
    without a mark, or in another format, gets none."""
    import gzip

    from shoprel.data.readers import read_pairs

    rows = [{"id": i, "origin_query": q, "category_path": "家,台所", "label": i % 2}
            for i, q in enumerate(["包丁", "まな板", "鍋"], start=1)]
    if name.startswith("t.csv"):
        lines = ["id,origin_query,category_path,label\n", *(
            f"{r['id']},{r['origin_query']},\"{r['category_path']}\",{r['label']}\n"
            for r in rows)]
    else:
        lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in rows]
    for mark in ("\ufeff", ""):
        data, out = tmp_path / f"{mark and 'm'}{name}", tmp_path / f"{mark and 'm'}{out_name}"
        encoded = (mark + "".join(lines)).encode()
        data.write_bytes(gzip.compress(encoded) if name.endswith(".gz") else encoded)
        assert filter_training_file(data, [2], out) == 1
        assert out.read_bytes().startswith(b"\xef\xbb\xbf") is (marked and bool(mark))
        clean = read_pairs(out)
        assert clean.df["id"].tolist() == [1, 3] and clean.df["query"].tolist() == ["包丁", "鍋"]
        if name == out_name:  # JSON lines, line by line: the input but for the dropped line
            assert out.read_text(encoding="utf-8") == mark + lines[0] + lines[2]


@pytest.mark.parametrize(("name", "out_name"), [
    ("t.csv", "clean.csv"),     # from the records: every line ended "\n" before
    ("t.csv.gz", "clean.csv"),  # the line end inside the compressed text
    ("t.tsv", "clean.tsv"),
    ("t.csv", "clean.tsv"),     # another format: "\n", as it gets no byte-order mark
])
def test_a_filtered_copy_keeps_its_inputs_line_ends(tmp_path, name, out_name):
    """A CSV saved on Windows ends its lines in \r\n; its filtered copy ended them in \n,
    though it kept the input's byte-order mark and header: a diff showed every line changed.
    A copy in the input's own format now ends its lines as the input does (a quoted cell's
    own line break is the cell's, as ever); an input ending its lines in \n gets \n."""
    import gzip

    from shoprel.data.readers import read_pairs

    def table(sep: str, end: str, ids=(1, 2, 3)) -> bytes:
        rows = {1: ["1", "drill", '"tools,power"' if sep == "," else "tools,power", "1"],
                2: ["2", "saw", "tools", "0"], 3: ["3", '"two\r\nlines"', "tools", "1"]}
        lines = [["id", "origin_query", "category_path", "label"], *(rows[i] for i in ids)]
        return "".join(sep.join(cells) + end for cells in lines).encode()

    source_sep, out_sep = ("," if n.startswith("t.csv") or n == "clean.csv" else "\t"
                           for n in (name, out_name))
    for end in ("\r\n", "\n"):
        data = tmp_path / f"{len(end)}{name}"
        out = tmp_path / f"{len(end)}{out_name}"
        text = table(source_sep, end)
        data.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
        assert filter_training_file(data, [2], out) == 1
        same_format = out_sep == source_sep
        assert out.read_bytes() == table(out_sep, end if same_format else "\n", ids=(1, 3))
        assert read_pairs(out).df["query"].tolist() == ["drill", "two\r\nlines"]


def test_filtering_alone_judges_its_output_by_the_training_files_task(tmp_path):
    """filter_training_file called from Python has no run to record the task: an existing
    output was read with none, so a training file holding both target columns could not be
    judged at all ('give the task'), and a QI file at a QC file's output was judged row by row.
    It takes the task as a run records it, and reads the output as the training file's task."""
    from shoprel.errors import OutputError

    rows = pd.DataFrame([{"id": i, "language": "en", "origin_query": f"q{i}",
                          "category_path": f"c{i}", "item_title": f"t{i}", "label": i % 2}
                         for i in range(1, 5)])
    both, out = tmp_path / "both.jsonl", tmp_path / "clean.jsonl"
    rows.to_json(both, orient="records", lines=True)
    assert filter_training_file(both, [1], out, task="QC") == 1
    assert filter_training_file(both, [1, 2], out, overwrite=True, task="QC") == 2
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [3, 4]
    qc, qi = tmp_path / "qc.jsonl", tmp_path / "qi.jsonl"
    rows.drop(columns="item_title").to_json(qc, orient="records", lines=True)
    rows.drop(columns="category_path").to_json(qi, orient="records", lines=True)
    with pytest.raises(OutputError) as info:
        filter_training_file(qc, [1], qi, overwrite=True)
    assert str(info.value).startswith(
        f"{qi}: exists and is not a filtered copy of {qc} that noise wrote (no "
        "qi.jsonl.source.json beside it, the record noise writes with its own); ")


def _rows_with_extra_fields() -> list[dict]:
    """Training rows with fields beside the pairs: a sparse whole number (a table copy holds it
    as 3.0 once another row lacks it), a fraction written 1.50, a flag, a null."""
    rows = [{"id": i, "language": "en", "origin_query": f"q{i}", "category_path": f"c{i}",
             "label": i % 2, "flag": i > 2, "score": json.loads("1.50"), "note": None}
            for i in range(1, 7)]
    for row in rows[::2]:
        row["weight"] = 3
    return rows


def test_overwrite_replaces_only_a_filtered_copy_its_record_proves_noises(tmp_path):
    """`noise RUN --filtered-train X --overwrite` replaced any X whose rows were all training
    rows, so a dev split carved from the training file went as noise's copy. Only a copy whose
    record beside it (X.source.json, written with it) holds its SHA-256 is replaced now; a
    file without one, with another's, or changed since is refused in one line, left as it
    was (an annotated copy, a header alone, noise's own copy edited by hand)."""
    from shoprel.errors import OutputError

    rows = _rows_with_extra_fields()
    train_file = _train_file(tmp_path)
    split, annotated, header, edited = (tmp_path / name for name in (
        "dev.jsonl", "annotated.jsonl", "header.csv", "edited.jsonl"))
    split.write_text("".join(json.dumps(r) + "\n" for r in rows[3:]), encoding="utf-8")
    annotated.write_text("".join(json.dumps({**r, "my_note": "seen"}) + "\n" for r in rows),
                         encoding="utf-8")
    header.write_text("id,language,origin_query,category_path,label\n", encoding="utf-8")
    assert filter_training_file(train_file, [1], edited, task="QC") == 1
    record = json.loads((tmp_path / "edited.jsonl.source.json").read_text(encoding="utf-8"))
    assert record["written_by"] == "shoprel noise" and record["run"] is None  # none named
    assert record["train_file"] == str(train_file) and len(record["filtered_sha256"]) == 64
    (tmp_path / "header.csv.source.json").write_text('{"note": "mine"}', encoding="utf-8")
    with open(edited, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({**rows[0], "id": 99}) + "\n")
    for target, why in (
            (split, "no dev.jsonl.source.json beside it, the record noise writes with its own"),
            (annotated, "no annotated.jsonl.source.json beside it, the record noise writes "
                        "with its own"),
            (header, "header.csv.source.json beside it is no record noise wrote"),
            (edited, "it changed since noise wrote it: its SHA-256 is not the one "
                     "edited.jsonl.source.json records")):
        before = target.read_bytes()
        with pytest.raises(OutputError) as info:
            filter_training_file(train_file, [1], target, overwrite=True, task="QC")
        assert str(info.value) == (
            f"{target}: exists and is not a filtered copy of {train_file} that noise wrote "
            f"({why}); --overwrite replaces only noise's own output: choose another name or "
            "move the file away first")
        assert target.read_bytes() == before


@pytest.mark.parametrize("source", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv", ".parquet"])
def test_overwrite_still_replaces_noises_own_filtered_copy(tmp_path, source, suffix):
    """Its own filtered copy, in any format, of a training file in any format, whose fields
    change form in the copy (3 as 3.0, 1.50 as 1.5, true as True, null as an empty cell), is
    still replaced with --overwrite."""
    frame = pd.DataFrame(_rows_with_extra_fields())
    train_file = tmp_path / f"train.{source}"
    if source == "jsonl":
        train_file.write_text("".join(json.dumps(r) + "\n" for r in _rows_with_extra_fields()),
                              encoding="utf-8")
    else:
        getattr(frame, f"to_{source}")(train_file, index=False)
    out = tmp_path / f"clean{suffix}"
    assert filter_training_file(train_file, [1], out, task="QC") == 1
    assert filter_training_file(train_file, [1, 2], out, overwrite=True, task="QC") == 2
    from shoprel.data.readers import read_pairs

    assert read_pairs(out).df["id"].astype(int).tolist() == [3, 4, 5, 6]


def _train_file(tmp_path):
    """A small training file of _rows_with_extra_fields, as JSON lines."""
    train_file = tmp_path / "train.jsonl"
    train_file.write_text("".join(json.dumps(r) + "\n" for r in _rows_with_extra_fields()),
                          encoding="utf-8")
    return train_file


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_overwrite_replaces_noises_own_copy_of_every_row_flagged(tmp_path, suffix):
    """noise's own filtered copy where it dropped every row is replaced by the next run."""
    train_file, out = _train_file(tmp_path), tmp_path / f"clean{suffix}"
    assert filter_training_file(train_file, range(1, 7), out, task="QC") == 6
    assert filter_training_file(train_file, [1], out, overwrite=True, task="QC") == 1


@pytest.mark.parametrize("source", ["jsonl", "csv"])
def test_a_copy_of_every_row_flagged_keeps_the_training_files_columns(tmp_path, source):
    """Every row dropped: the CSV copy was a file of just "\n" (no header line) and the Parquet
    copy had no columns. A CSV/TSV now holds the training file's header line, a Parquet its
    columns, a JSON-lines copy nothing; read back, each is refused as holding no rows."""
    from shoprel.data.readers import read_pairs

    train_file = _train_file(tmp_path)
    if source == "csv":
        train_file = tmp_path / "train.csv"
        pd.DataFrame(_rows_with_extra_fields()).to_csv(train_file, index=False)
    columns = ["id", "language", "origin_query", "category_path", "label", "flag", "score",
               "note", "weight"]
    for suffix, content in ((".csv", ",".join(columns) + "\n"),
                            (".tsv", "\t".join(columns) + "\n"), (".jsonl", "")):
        out = tmp_path / f"clean-{source}{suffix}"
        assert filter_training_file(train_file, range(1, 7), out, task="QC") == 6
        assert out.read_text(encoding="utf-8") == content
        with pytest.raises(InputError) as info:
            read_pairs(out)
        assert str(info.value) == f"{out}: the file has no rows"
    out = tmp_path / f"clean-{source}.parquet"
    assert filter_training_file(train_file, range(1, 7), out, task="QC") == 6
    assert list(pd.read_parquet(out).columns) == columns and len(pd.read_parquet(out)) == 0
    with pytest.raises(InputError, match="the file has no rows$"):
        read_pairs(out)


def test_noise_outputs_are_checked_before_any_work(flipped_run, tmp_path):
    """Neither output may be the training file (even with --overwrite) or one file given twice;
    both are refused before the flagged rows are printed or anything is written."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run, _, data = flipped_run
    before = data.read_bytes()
    twice = tmp_path / "flagged.txt"
    for args in (["--out", str(data), "--overwrite"],
                 ["--filtered-train", str(data), "--overwrite"],
                 ["--filtered-train", str(tmp_path / "clean.xlsx")],
                 ["--out", str(tmp_path / "flagged.xlsx")],  # was written as lines of text
                 ["--out", str(twice), "--filtered-train", str(twice)]):
        done = CliRunner().invoke(main, ["noise", str(run), *args])
        assert done.exit_code == 2, done.output
        assert done.output.count("\n") == 1 and done.output.startswith("error:"), done.output
    assert data.read_bytes() == before
    assert not twice.exists() and not (tmp_path / "flagged.xlsx").exists()


def test_one_file_under_two_names_is_refused_as_given_as_both(flipped_run, tmp_path):
    """--out and --filtered-train compared by resolved path: a hard link between them (one
    file, two names) passed, and with --overwrite an empty one (which both guards pass) was
    replaced by both outputs. It is now refused as the same name given twice is, in one line,
    before any work, the file left as it was."""
    import os

    from click.testing import CliRunner

    from shoprel.cli import main

    run, _, _ = flipped_run
    flagged, clean = tmp_path / "flagged.txt", tmp_path / "clean.jsonl"
    flagged.write_bytes(b"")
    os.link(flagged, clean)
    before = (flagged.read_bytes(), flagged.stat().st_mtime_ns, flagged.stat().st_ino)
    twice = tmp_path / "twice.txt"
    said = CliRunner().invoke(main, ["noise", str(run), "--out", str(twice),
                                     "--filtered-train", str(twice)]).output
    assert said == (f"error: {twice}: given as both --out and --filtered-train; choose two "
                    "files\n")
    done = CliRunner().invoke(main, ["noise", str(run), "--out", str(flagged),
                                     "--filtered-train", str(clean), "--overwrite"])
    assert (done.exit_code, done.output) == (2, said.replace(str(twice), str(flagged)))
    for name in (flagged, clean):
        assert (name.read_bytes(), name.stat().st_mtime_ns, name.stat().st_ino) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.jsonl", "flagged.txt"]


def test_the_filtered_copy_at_the_ids_record_is_refused_before_any_work(trained_runs,
                                                                         tmp_path):
    """--filtered-train named as --out's record (flagged.txt.source.json): the ids and the
    record were written, then the copy was refused ('already exists'), the command failing
    with two files made. It is now refused in one line before any work, nothing written."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run = trained_runs["QC"]
    flagged = tmp_path / "flagged.txt"
    record = tmp_path / "flagged.txt.source.json"
    done = CliRunner().invoke(main, ["noise", str(run), "--out", str(flagged),
                                     "--filtered-train", str(record)])
    assert (done.exit_code, done.output) == (
        2, f"error: {record}: is where noise records what the --out flags came from; choose "
           "another --filtered-train\n")
    assert list(tmp_path.iterdir()) == []


def test_ids_match_as_the_training_frame_holds_them(flipped_run, tmp_path):
    """A CSV holds ids as text (" 12" is read as 12 in the frame): the flagged ids, which
    come from the frame, still find their rows."""
    _, flipped, data = flipped_run
    table = pd.read_json(data, lines=True, dtype=False)
    table["id"] = [f" {i}" for i in table["id"]]
    csv = tmp_path / "train.csv"
    table.to_csv(csv, index=False)
    some = sorted(flipped)[:5]
    assert filter_training_file(csv, some, tmp_path / "clean.jsonl") == 5


def test_a_training_file_changed_since_the_run_is_refused(tmp_path):
    """Its rows were shown and filtered under the flags of rows the run never saw."""
    from shoprel.errors import RunDirError

    lines = shoprel.demo.demo_file("QC").read_text(encoding="utf-8").splitlines(keepends=True)
    data = tmp_path / "qc.jsonl"
    data.write_text("".join(lines), encoding="utf-8")
    train(data, tmp_path / "run", load_config(None, {
        "folds.k": 2, "model.family": "fast", "model.params.n_features": 2**14,
        "model.params.n_estimators": 20, "model.params.n_jobs": 1, "check.far_pairs": 0,
        "student": None, "final.refit_full": False}), progress=False)
    relabelled = json.loads(lines[4])
    relabelled["label"] = 1 - relabelled["label"]
    # a row gained: --filtered-train copied it, unflagged, as though the run had judged it
    gained = json.dumps({**json.loads(lines[0]), "id": 9999}) + "\n"
    # an empty target too: this run kept such rows, so it would have scored this one
    blank = json.dumps({**json.loads(lines[0]), "id": 9998, "category_path": " "}) + "\n"
    for edited, message in (
            ([*lines, blank], r"holds 1 row\(s\) the run was not trained on \(e\.g\. id 9998\)"),
            ([*lines[:4], json.dumps(relabelled) + "\n", *lines[5:]], "1 row.* differ .*id 5"),
            (lines[:-1], "1 of its rows are not in"),
            ([*lines, gained], r"holds 1 row\(s\) the run was not trained on \(e\.g\. id 9999\)")):
        data.write_text("".join(edited), encoding="utf-8")
        with pytest.raises(RunDirError, match=message):
            find_noisy_rows(tmp_path / "run")
    with pytest.raises(RunDirError, match="the run was not trained on"):
        flag_noisy_rows(tmp_path / "run", filtered_train=tmp_path / "clean.jsonl")
    assert not (tmp_path / "clean.jsonl").exists()


def test_rows_a_run_dropped_as_empty_texts_are_no_change_of_its_file(tmp_path):
    """A run with data.empty_text: drop trained without the file's rows of an empty target:
    they are in the file, not in its out-of-fold table, and the file is still the run's."""
    lines = shoprel.demo.demo_file("QC").read_text(encoding="utf-8").splitlines(keepends=True)
    blank = [json.dumps({**json.loads(line), "category_path": " "}) + "\n" for line in lines[:2]]
    data = tmp_path / "qc.jsonl"
    data.write_text("".join([*blank, *lines[2:]]), encoding="utf-8")
    train(data, tmp_path / "run", load_config(None, {
        "folds.k": 2, "model.family": "fast", "model.params.n_features": 2**14,
        "model.params.n_estimators": 20, "model.params.n_jobs": 1, "check.far_pairs": 0,
        "data.empty_text": "drop", "final.refit_full": False}), progress=False)
    result = flag_noisy_rows(tmp_path / "run", filtered_train=tmp_path / "clean.jsonl")
    kept = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(kept) == len(lines) - result.dropped and kept[:2] == blank


def test_a_run_whose_config_no_longer_loads_is_read_where_no_blank_row_was_gained(tmp_path):
    """Whether the run dropped rows of an empty text (its config.yaml) matters only for such
    a row the file gained: a run whose config.yaml this shoprel cannot read (an older one's
    key, or none there) was refused by noise on its unchanged file."""
    data = tmp_path / "qc.jsonl"
    data.write_text(shoprel.demo.demo_file("QC").read_text(encoding="utf-8"), encoding="utf-8")
    train(data, tmp_path / "run", load_config(None, {
        "folds.k": 2, "model.family": "fast", "model.params.n_features": 2**14,
        "model.params.n_estimators": 20, "model.params.n_jobs": 1, "check.far_pairs": 0,
        "student": None, "final.refit_full": False}), progress=False)
    config = tmp_path / "run" / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "retired_setting: 1\n",
                      encoding="utf-8")
    assert len(find_noisy_rows(tmp_path / "run")) > 0
    config.unlink()
    assert len(find_noisy_rows(tmp_path / "run")) > 0


def test_flagged_ids_are_shown_and_written_as_the_training_file_writes_them(tmp_path):
    """An id "0104" in the training file was printed and written as 104 (the run keeps it as
    the number): the flagged rows now carry their file's ids, as predict gives them back."""
    from click.testing import CliRunner

    from shoprel.cli import main

    rows = [json.loads(line) for line in
            shoprel.demo.demo_file("QC").read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        row["id"] = f"{int(row['id']):05d}"
    data = tmp_path / "qc.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    written = {row["id"] for row in rows}
    train(data, tmp_path / "run", load_config(None, {
        "folds.k": 2, "model.family": "fast", "model.params.n_features": 2**14,
        "model.params.n_estimators": 20, "model.params.n_jobs": 1, "check.far_pairs": 0,
        "student": None, "final.refit_full": False}), progress=False)

    done = CliRunner().invoke(main, ["noise", str(tmp_path / "run"), "--top", "5",
                                     "--out", str(tmp_path / "ids.txt"),
                                     "--filtered-train", str(tmp_path / "clean.jsonl")])
    assert done.exit_code == 0, done.output
    shown = [line.split("\t")[0] for line in done.output.splitlines() if "\tlabel=" in line]
    listed = (tmp_path / "ids.txt").read_text(encoding="utf-8").split()
    assert len(shown) == 5 and set(shown) <= written and shown == listed[:5]
    assert set(listed) <= written and all(i.startswith("0") for i in listed)
    kept = [json.loads(line)["id"] for line in
            (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(kept) == len(rows) - len(listed) and not set(kept) & set(listed)

    table = tmp_path / "ids.parquet"
    CliRunner().invoke(main, ["noise", str(tmp_path / "run"), "--top", "0", "--out",
                              str(table)])
    assert pd.read_parquet(table)["id"].tolist() == listed


def test_a_changed_training_file_is_refused_naming_ids_as_it_writes_them(tmp_path):
    """The refusal named an id "00005" as the run keeps it (id 5); it now names it as the
    file writes it, and a row the file lost in the file's kind of id (text)."""
    from shoprel.errors import RunDirError

    rows = [json.loads(line) for line in
            shoprel.demo.demo_file("QC").read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        row["id"] = f"{int(row['id']):05d}"
    lines = [json.dumps(r) + "\n" for r in rows]
    data = tmp_path / "qc.jsonl"
    data.write_text("".join(lines), encoding="utf-8")
    train(data, tmp_path / "run", load_config(None, {
        "folds.k": 2, "model.family": "fast", "model.params.n_features": 2**14,
        "model.params.n_estimators": 20, "model.params.n_jobs": 1, "check.far_pairs": 0,
        "student": None, "final.refit_full": False}), progress=False)
    relabelled = {**rows[4], "label": 1 - rows[4]["label"]}
    lost = int(rows[-1]["id"])
    for edited, message in (
            ([*lines[:4], json.dumps(relabelled) + "\n", *lines[5:]],
             f"1 row.* differ .*e.g. id '{rows[4]['id']}'\\)"),
            (lines[:-1], f"1 of its rows are not in .*e.g. id '{lost}'\\)")):
        data.write_text("".join(edited), encoding="utf-8")
        with pytest.raises(RunDirError, match=message):
            find_noisy_rows(tmp_path / "run")


def test_overwrite_replaces_only_what_noise_wrote(flipped_run, tmp_path):
    """`noise RUN --out test_gold.jsonl --overwrite` replaced a gold labels file (anything but
    the training file went): --overwrite now replaces only noise's own output, flagged ids (a
    list or a table) or a filtered copy of the training file that noise's record beside it
    proves its own (a list of training ids made by hand is not), and refuses anything else in
    one line before any work, the file left as it was."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run, _, data = flipped_run
    gold = tmp_path / "test_gold.jsonl"
    gold.write_text('{"id": 9001, "origin_query": "x", "item_title": "y", "label": 1}\n')
    listed = tmp_path / "gold.txt"  # JSON lines under a plain name: --out writes ids there
    listed.write_bytes(gold.read_bytes())
    relabelled = tmp_path / "fixed.jsonl"  # a hand-corrected copy of the training file
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    rows[3]["label"] = 1 - rows[3]["label"]
    relabelled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    dev_ids = tmp_path / "dev_ids.txt"  # training ids listed by hand: all known, not noise's
    dev_ids.write_text("".join(f"{r['id']}\n" for r in rows[:5]), encoding="utf-8")
    for option, target, why in (
            ("--out", gold, "no test_gold.jsonl.source.json beside it, the record noise "
                            "writes with its own"),
            ("--out", listed, "no gold.txt.source.json beside it, the record noise writes "
                              "with its own"),
            ("--out", dev_ids, "no dev_ids.txt.source.json beside it, the record noise "
                               "writes with its own"),
            ("--filtered-train", gold, "no test_gold.jsonl.source.json beside it, the "
                                       "record noise writes with its own"),
            ("--filtered-train", relabelled, "no fixed.jsonl.source.json beside it, the "
                                             "record noise writes with its own")):
        before = target.read_bytes()
        done = CliRunner().invoke(main, ["noise", str(run), option, str(target), "--overwrite"])
        kind = ("a flagged-ids file that noise wrote" if option == "--out"
                else f"a filtered copy of {data} that noise wrote")
        assert (done.exit_code, done.output) == (2, (
            f"error: {target}: exists and is not {kind} ({why}); --overwrite replaces only "
            "noise's own output: choose another name or move the file away first\n"))
        assert target.read_bytes() == before
    written = {name: tmp_path / name for name in ("flagged.txt", "flagged.csv", "clean.jsonl")}
    args = ["--out", str(written["flagged.txt"]), "--filtered-train", str(written["clean.jsonl"])]
    for again in ([], ["--overwrite"]):
        assert CliRunner().invoke(main, ["noise", str(run), *args, *again]).exit_code == 0
        assert CliRunner().invoke(main, ["noise", str(run), "--out", str(written["flagged.csv"]),
                                         *again]).exit_code == 0
    assert all(path.stat().st_size > 0 for path in written.values())
    shown = " ".join(CliRunner().invoke(main, ["noise", "--help"]).output.split())
    assert "--overwrite Replace existing output files that noise wrote" in shown



@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("name", ["flagged.csv", "clean.jsonl", "clean.csv"])
def test_a_file_made_at_an_output_while_noise_writes_it_is_kept(flipped_run, tmp_path,
                                                                monkeypatch, overwrite, name):
    """noise checked an output just before writing it, not at the swap: a gold file saved there
    while the rows were written was replaced, even without --overwrite. The swap now keeps it
    unless --overwrite is given and the file there is noise's own."""
    from click.testing import CliRunner

    import shoprel.data.writers as writers
    import shoprel.ensemble.noise as noise
    from shoprel.cli import main

    run, _, _ = flipped_run
    target = tmp_path / name
    saved = "id,label\n9001,1\n"

    def saving_first(write):
        def wrapped(*args, **kwargs):
            if not target.exists():
                target.write_text(saved)
            return write(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(writers, "append_table", saving_first(writers.append_table))
    monkeypatch.setattr(noise, "atomic_file", saving_first(noise.atomic_file))  # JSON lines
    option = "--out" if name.startswith("flagged") else "--filtered-train"
    done = CliRunner().invoke(main, ["noise", str(run), option, str(target),
                                     *(["--overwrite"] if overwrite else [])])
    assert done.exit_code == 2 and f"error: {target}" in done.output, done.output
    assert target.read_text() == saved  # as the user saved it
    assert not list(tmp_path.glob("*.partial"))


def test_overwrite_reads_the_training_file_once_for_its_checks(flipped_run, tmp_path,
                                                               monkeypatch):
    """With --overwrite, each existing output was judged at the start, just before its write
    and at the swap, and each time the whole training file was read again: its ids three
    times for --out, its rows three times for --filtered-train. The file is now parsed once
    (its records, and its rows from them) for the checks and the flagged rows' texts alike,
    an output to judge or none; the outputs are replaced as before."""
    import shoprel.ensemble.noise_outputs as checks
    from shoprel.ensemble.noise import flag_noisy_rows

    run, _, data = flipped_run
    out, clean = tmp_path / "flagged.csv", tmp_path / "clean.jsonl"
    flag_noisy_rows(run, out, clean)
    reads = []

    def counted(read, what):
        def wrapped(path, *args, **kwargs):
            if str(path) == str(data):
                reads.append(what)
            return read(path, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(checks, "iter_records", counted(checks.iter_records, "records"))
    monkeypatch.setattr(checks, "marked_text_lines", counted(checks.marked_text_lines,
                                                             "records"))
    monkeypatch.setattr(checks, "read_pairs", counted(checks.read_pairs, "frame"))
    before = out.read_bytes(), clean.read_bytes()
    (tmp_path / "flagged.csv").write_bytes(b"")  # an empty file: nothing to judge, nothing read
    result = flag_noisy_rows(run, out, clean, overwrite=True)
    assert sorted(reads) == ["frame", "records"]
    assert (out.read_bytes(), clean.read_bytes()) == before and result.dropped > 0
    reads.clear()
    flag_noisy_rows(run, out, clean, overwrite=True)
    assert sorted(reads) == ["frame", "records"]
    assert (out.read_bytes(), clean.read_bytes()) == before


def test_noise_reads_the_training_file_once_for_the_copy_too(flipped_run, tmp_path,
                                                             monkeypatch):
    """With --overwrite, noise read the training file four times (the existing --out's check,
    the existing --filtered-train's, the flagged rows' texts, the filtered copy), then twice
    (its lines were read again to copy them as written, JSON lines to JSON lines); it reads it
    once, and copies the lines it parsed."""
    import shoprel.data.records as records
    from shoprel.ensemble.noise import flag_noisy_rows

    run, _, data = flipped_run
    out, clean = tmp_path / "flagged.txt", tmp_path / "clean.jsonl"
    first = flag_noisy_rows(run, out, clean)
    written = out.read_text(encoding="utf-8"), clean.read_text(encoding="utf-8")
    reads = []
    read_lines = records.input_lines

    def counted(path, *args, **kwargs):
        reads.append(path)
        return read_lines(path, *args, **kwargs)

    monkeypatch.setattr(records, "input_lines", counted)
    again = flag_noisy_rows(run, out, clean, overwrite=True)
    assert [p for p in reads if p.resolve() == data.resolve()] == [data]
    assert again.flagged.equals(first.flagged) and again.dropped == first.dropped > 0
    assert (out.read_text(encoding="utf-8"), clean.read_text(encoding="utf-8")) == written


def test_flags_from_optimistic_out_of_fold_scores_are_noted(tmp_path):
    """A leaky student's OOF scores learnt its own rows' labels through the teacher, so noise
    flagged fewer rows (80 against the fast teacher's 125 on 800 QC rows) with no word of why.
    The run optimistic.py judges so (such a student, or an ensemble holding one) gets a note
    naming the run to flag with instead, which --quiet leaves out and Python's result keeps;
    honest runs (the teacher, a student at --hard-weight 1.0) get none."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.ensemble.noise import flag_noisy_rows
    from shoprel.ensemble.runner import build_ensemble
    from shoprel.training.distill import LEAK_CAVEAT, distill

    fast = {"folds.k": 3, "model.family": "fast", "model.params.n_features": 2**14,
            "model.params.n_estimators": 20, "model.params.n_jobs": 1, "check.far_pairs": 0,
            "student": None, "final.refit_full": False}
    teacher = train(shoprel.demo.demo_file("QC"), tmp_path / "teacher",
                    load_config(None, fast), progress=False).run_dir
    student = load_config(None, {**fast, "model.params.stack": False})
    leaky, honest = (distill(teacher, student, tmp_path / name, hard_weight, progress=False,
                             speed_rows=0).run_dir
                     for name, hard_weight in (("leaky", 0.3), ("honest", 1.0)))
    build_ensemble([teacher, leaky], tmp_path / "ens", method="mean")
    advice = ("the rows flagged here rest on its out-of-fold scores, which are optimistic, so "
              "fewer rows look mislabelled than honest scores would show; flag with the "
              "teacher, or a student distilled with --nested or --hard-weight 1.0, and without "
              "--unlabeled (or an ensemble of such runs)")
    said = {leaky: f"note: {leaky} is a student distilled from teacher; {LEAK_CAVEAT}: {advice}",
            tmp_path / "ens": (f"note: {tmp_path / 'ens'} is an ensemble whose OOF figures are "
                               f"optimistic through its member leaky, a student distilled from "
                               f"teacher; {LEAK_CAVEAT}: {advice}")}
    for run in (teacher, honest, leaky, tmp_path / "ens"):
        for quiet in ([], ["--quiet"]):
            done = CliRunner().invoke(main, ["noise", str(run), "--top", "0", *quiet])
            assert done.exit_code == 0, done.output
            noted = [line for line in done.stderr.splitlines() if line.startswith("note:")]
            assert noted == ([said[run]] if run in said and not quiet else []), done.stderr
            assert done.stdout.endswith("rows flagged of 360\n"), done.stdout
        expected = said[run].removeprefix("note: ") if run in said else None
        assert flag_noisy_rows(run).optimistic == expected


def _flagged(ids) -> pd.DataFrame:
    """Flagged rows as find_noisy_rows gives them (its columns, in its order)."""
    return pd.DataFrame({"id": list(ids), "language": "en", "label": 1, "probability": 0.1,
                         "label_quality": 0.1, "query": "q", "target": "t"})


NOISE_HEADER = ["id", "language", "label", "probability", "label_quality", "query", "target"]


def test_overwrite_replaces_only_flagged_ids_their_record_proves_noises(tmp_path):
    """`noise RUN --out IDS --overwrite` replaced any IDS whose ids were all training ids, so a
    list of a dev split's ids made by hand went as noise's flags. write_flagged_ids (the CLI's
    writer and Python's) writes IDS.source.json beside the ids, and only a file whose record
    holds its SHA-256 is replaced now; one without, with another's or another output's
    record, or edited since is refused in one line, left as it was."""
    from shoprel.ensemble.flag_source import read_source
    from shoprel.ensemble.noise import write_flagged_ids
    from shoprel.ensemble.noise_outputs import TrainingFile
    from shoprel.errors import OutputError

    training = TrainingFile(_train_file(tmp_path))
    dev, header, filtered, edited = (tmp_path / name for name in (
        "dev_ids.txt", "other.csv", "clean.txt", "flagged.txt"))
    dev.write_text("4\n5\n6\n", encoding="utf-8")  # training ids, listed by hand
    header.write_text(",".join(NOISE_HEADER) + "\n", encoding="utf-8")
    (tmp_path / "other.csv.source.json").write_text('{"note": "mine"}', encoding="utf-8")
    assert filter_training_file(training.path, [], filtered, task="QC") == 0  # its record
    assert write_flagged_ids(_flagged([2, 3]), edited, training=training) == edited
    record = read_source(edited)
    assert record["train_file"] == str(training.path) and record["run"] is None
    assert len(record["flagged_sha256"]) == 64 and len(record["train_sha256"]) == 64
    write_flagged_ids(_flagged([3, 2]), edited, overwrite=True, training=training)
    assert edited.read_text(encoding="utf-8") == "3\n2\n"  # its own: replaced, record too
    assert read_source(edited)["flagged_sha256"] != record["flagged_sha256"]
    with open(edited, "a", encoding="utf-8") as handle:
        handle.write("1\n")
    for out, why in (
            (dev, "no dev_ids.txt.source.json beside it, the record noise writes with its own"),
            (header, "other.csv.source.json beside it is no record noise wrote"),
            (filtered, "clean.txt.source.json beside it records no flagged file"),
            (edited, "it changed since noise wrote it: its SHA-256 is not the one "
                     "flagged.txt.source.json records")):
        before = out.read_bytes()
        with pytest.raises(OutputError) as info:
            write_flagged_ids(_flagged([2, 3]), out, overwrite=True, training=training)
        assert str(info.value) == (
            f"{out}: exists and is not a flagged-ids file that noise wrote ({why}); "
            "--overwrite replaces only noise's own output: choose another name or move the "
            "file away first")
        assert out.read_bytes() == before


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl", ".txt"])
@pytest.mark.parametrize("with_text", [True, False])
def test_overwrite_replaces_noises_own_flagged_ids_file_of_no_rows(tmp_path, suffix,
                                                                   with_text):
    """noise's own --out where it flagged no row (a header line of its columns, a Parquet
    schema, an empty file), with or without the texts' columns, is replaced by the next run."""
    from shoprel.data.records import iter_text_lines
    from shoprel.ensemble.noise import write_flagged_ids
    from shoprel.ensemble.noise_outputs import TrainingFile

    training, out = TrainingFile(_train_file(tmp_path)), tmp_path / f"flagged{suffix}"
    none = _flagged([]) if with_text else _flagged([]).drop(columns=["query", "target"])
    write_flagged_ids(none, out, training=training)
    if suffix in (".csv", ".tsv"):
        columns = NOISE_HEADER if with_text else NOISE_HEADER[:5]
        assert out.read_text(encoding="utf-8") == ("," if suffix == ".csv" else "\t").join(
            columns) + "\n"
    write_flagged_ids(_flagged([2, 3]), out, overwrite=True, training=training)
    if suffix == ".txt":
        assert [text for _, text in iter_text_lines(out)] == ["2\n", "3\n"]
    else:
        from shoprel.data.records import iter_records

        assert [record["id"] for _, record in iter_records(out)] in ([2, 3], ["2", "3"])
