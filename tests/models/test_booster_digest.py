"""A saved booster whose bytes changed since (a digit inside a tree, the file as well laid out
as before) is refused before LightGBM reads it, naming the file: LightGBM read it silently and
scored otherwise. Models saved before the digests load unchecked; intact ones score as fitted."""

import hashlib
import json
import re
import shutil

import numpy as np
import pytest

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel
from shoprel.models.booster_file import cut_short

NAMES = ["lightgbm.txt", "lightgbm.2.txt"]


def said(path) -> str:
    return (f"{path}: the booster file is damaged (its SHA-256 is not the one recorded when it "
            "was saved); copy the run again from where it was trained, or train it again")


def changed_digit(data: bytes, field: bytes, tree: int = 2) -> bytes:
    """`data` with the first digit 1-8 of `field`'s line in tree `tree` one higher: same
    length, same layout."""
    line = re.compile(rb"^" + field + rb"=[^\n]*$", re.M).search(
        data, data.index(b"\nTree=%d\n" % tree))
    digit = re.compile(rb"[1-8]").search(data, line.start() + len(field) + 1, line.end()).start()
    return data[:digit] + bytes([data[digit] + 1]) + data[digit + 1:]


@pytest.fixture
def saved(tmp_path, qc_frame, small_model):
    model = small_model("fast", n_boosters=2).fit(qc_frame)
    return model.predict_proba(qc_frame), model.save(tmp_path / "saved")


def test_the_saved_digests_are_those_of_the_bytes_on_disk(saved, qc_frame):
    fitted, folder = saved
    state = json.loads((folder / "model.json").read_text())["state"]
    assert state["booster_sha256"] == {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in NAMES}
    np.testing.assert_array_equal(RelevanceModel.load(folder).predict_proba(qc_frame), fitted)


@pytest.mark.parametrize("field", [b"leaf_value", b"threshold"])
@pytest.mark.parametrize("name", NAMES)
def test_a_digit_changed_inside_a_tree_is_refused_naming_the_file(saved, name, field):
    _, folder = saved
    booster = folder / name
    damaged = changed_digit(booster.read_bytes(), field)
    assert len(damaged) == booster.stat().st_size and cut_short(damaged) is None
    booster.write_bytes(damaged)
    with pytest.raises(RunDirError) as info:
        RelevanceModel.load(folder)
    assert str(info.value) == said(booster)


def test_a_model_saved_before_the_digests_loads_unchecked(saved, qc_frame):
    """Without the field the file is not checked: the intact one scores as fitted, and a
    damaged one is read by LightGBM as it always was, scoring otherwise (why the digest)."""
    fitted, folder = saved
    config = json.loads((folder / "model.json").read_text())
    del config["state"]["booster_sha256"]  # as an older release wrote it
    (folder / "model.json").write_text(json.dumps(config))
    np.testing.assert_array_equal(RelevanceModel.load(folder).predict_proba(qc_frame), fitted)
    booster = folder / "lightgbm.txt"
    booster.write_bytes(changed_digit(booster.read_bytes(), b"leaf_value"))
    assert not np.array_equal(RelevanceModel.load(folder).predict_proba(qc_frame), fitted)


@pytest.mark.parametrize(("edit", "why"), [
    (lambda d: {"lightgbm.txt": d["lightgbm.txt"]},
     "lightgbm.2.txt: .*field 'state.booster_sha256' records no SHA-256 for this booster file"),
    (lambda d: {**d, "lightgbm.2.txt": "xyz"},
     "model.json: field 'state.booster_sha256' .*not a mapping of file names to 64 hex digits"),
    (lambda d: list(d.values()), "model.json: field 'state.booster_sha256' .*not a mapping"),
])
def test_a_mis_shaped_digest_field_is_refused_naming_it(saved, edit, why):
    _, folder = saved
    config = json.loads((folder / "model.json").read_text())
    config["state"]["booster_sha256"] = edit(config["state"]["booster_sha256"])
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(RunDirError, match=why):
        RelevanceModel.load(folder)


def test_a_run_s_damaged_booster_is_shoprel_s_one_line(trained_runs, tmp_path, capfd):
    """Through the command line, on a run as training saved it (each fold's model too)."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    for folder in sorted((run / "models").iterdir()):
        state = json.loads((folder / "model.json").read_text())["state"]
        assert state["booster_sha256"] == {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.glob("lightgbm*.txt")}
    booster = run / "models" / "fold_1" / "lightgbm.txt"
    booster.write_bytes(changed_digit(booster.read_bytes(), b"leaf_value"))
    capfd.readouterr()
    result = CliRunner().invoke(main, ["far-pairs", str(run), "--quiet"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: {said(booster)}"]
    assert "LightGBM" not in capfd.readouterr().err
