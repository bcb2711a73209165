"""The run config's noise section: flagged rows change the training side only."""


import pandas as pd
import pytest

from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError, InputError
from shoprel.models.fast.model import FastModel
from shoprel.run.layout import OOF
from shoprel.training.config_reading import load_config
from shoprel.training.runner import train

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

SMALL = {"model.family": "fast", "folds.k": 3, "model.params.n_features": 2**16,
         "model.params.n_estimators": 30, "model.params.n_jobs": 1}


@pytest.fixture
def fits(monkeypatch):
    """Every frame FastModel.fit receives (copies of its id and weight columns)."""
    seen = []
    fit = FastModel.fit

    def spy(self, frame):
        seen.append(frame.df[[c for c in ("id", "weight") if c in frame.df]].copy())
        return fit(self, frame)

    monkeypatch.setattr(FastModel, "fit", spy)
    return seen


@pytest.fixture
def flagged(tmp_path, qc_demo):
    ids = read_pairs(qc_demo).df["id"].tolist()[::9]  # 40 of the 360 rows
    path = tmp_path / "flagged.txt"
    path.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return path, {str(i) for i in ids}


def _run(qc_demo, out, path, **noise):
    overrides = {**SMALL, "noise.flagged": str(path), **{f"noise.{k}": v for k, v in noise.items()}}
    return train(qc_demo, out, load_config(None, overrides), progress=False)


def test_downweighted_rows_train_lightly_and_stay_in_validation(tmp_path, qc_demo, flagged,
                                                                fits):
    path, ids = flagged
    result = _run(qc_demo, tmp_path / "run", path, mode="downweight", weight=0.25)
    assert len(fits) == 4  # three folds and the final fit
    for frame in fits:
        is_flagged = frame["id"].astype(str).isin(ids)
        assert is_flagged.any()
        assert (frame.loc[is_flagged, "weight"] == 0.25).all()
        assert (frame.loc[~is_flagged, "weight"] == 1.0).all()
    oof = pd.read_parquet(tmp_path / "run" / OOF)
    assert len(oof) == 360 and ids <= set(oof["id"].astype(str))
    assert oof["probability"].notna().all()
    noise = result.metrics["noise"]
    assert noise["mode"] == "downweight" and noise["flagged_rows"] == 40
    assert result.metrics["overall"]["n"] == 360


def test_dropped_rows_never_train_but_are_scored(tmp_path, qc_demo, flagged, fits):
    path, ids = flagged
    _run(qc_demo, tmp_path / "run", path, mode="drop")
    for frame in fits:
        assert not frame["id"].astype(str).isin(ids).any() and "weight" not in frame
    assert sum(len(f) for f in fits[:3]) == 2 * (360 - 40)  # each row trains in k-1 folds
    oof = pd.read_parquet(tmp_path / "run" / OOF)
    assert ids <= set(oof["id"].astype(str)) and len(oof) == 360


def test_flagged_ids_as_a_table(tmp_path, qc_demo, flagged, fits):
    _, ids = flagged
    table = tmp_path / "flagged.csv"
    pd.DataFrame({"id": sorted(ids), "label": 0}).to_csv(table, index=False)
    result = _run(qc_demo, tmp_path / "run", table, mode="drop")
    assert result.metrics["noise"]["flagged_rows"] == 40


def test_unknown_id_names_file_and_line(tmp_path, qc_demo, flagged):
    path, _ = flagged
    path.write_text(path.read_text() + "\nno-such-row\n")
    with pytest.raises(InputError, match=r"flagged\.txt, line 42.*no-such-row"):
        _run(qc_demo, tmp_path / "run", path)
    assert not (tmp_path / "run").exists()


def test_noise_config_is_checked():
    with pytest.raises(ConfigError, match="noise.mode"):
        load_config(None, {"noise.mode": "reweight"})
    with pytest.raises(ConfigError, match="noise.weight"):
        load_config(None, {"noise.weight": 1.5})
    with pytest.raises(ConfigError, match="not found"):
        from shoprel.training.noise_filter import read_flagged_ids

        read_flagged_ids("/no/such/file.txt")


@pytest.mark.parametrize(("name", "content", "match"), [
    ("flags.txt", b"row-1\n\x8a\x80 not utf-8\n", r"flags\.txt, line 2: invalid UTF-8"),
    ("flags.csv", b"id,label\nrow-1,0\n\"row-2,1\n", r"flags\.csv, line 3"),
    ("flags.jsonl", b'{"id": "row-1"}\n{"id": 2\n', r"flags\.jsonl, line 2: malformed JSON"),
    ("flags.csv", b"id,label\nrow-1,0\n,1\n", r"flags\.csv, line 3, field 'id': no id"),
    ("flags.csv", b"label\n0\n", r"flags\.csv, line 1, field 'id': missing required column"),
])
def test_unreadable_flag_files_name_file_line_and_field(tmp_path, name, content, match):
    from shoprel.training.noise_filter import read_flagged_ids

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_flagged_ids(path)


def test_a_parquet_flag_file_counts_rows_not_lines(tmp_path):
    """A Parquet flag file's missing id was said at 'line 2'; now 'row 2'. A flag file
    without an id column is told at its first row (a CSV's at its header, line 1)."""
    import pandas as pd

    from shoprel.training.noise_filter import read_flagged_ids

    path = tmp_path / "flags.parquet"
    pd.DataFrame({"id": ["row-1", ""]}).to_parquet(path)
    with pytest.raises(InputError) as raised:
        read_flagged_ids(path)
    assert str(raised.value) == f"{path}, row 2, field 'id': no id"
    pd.DataFrame({"label": [0, 1]}).to_parquet(path)
    with pytest.raises(InputError) as raised:
        read_flagged_ids(path)
    assert str(raised.value) == (f"{path}, row 1, field 'id': missing required column; the "
                                 "file has 'label': add a column 'id', or rename the one that "
                                 "holds it")


def test_ids_read_as_the_training_frame_holds_them(tmp_path):
    """7, 7.0 and "7" are one row in a training file, so in a flag file too; other text ids
    stay text."""
    from shoprel.training.noise_filter import read_flagged_ids

    path = tmp_path / "flags.csv"
    path.write_text("id,label\n7,0\nab-12,1\n")
    assert read_flagged_ids(path) == [("7", 2), ("ab-12", 3)]
    path = tmp_path / "flags.jsonl"
    path.write_text('{"id": 7.0}\n{"id": "8"}\n')
    assert read_flagged_ids(path) == [("7", 1), ("8", 2)]
    with pytest.raises(ConfigError, match="is a folder"):
        read_flagged_ids(tmp_path)


def test_downweight_needs_a_family_that_reads_weights(qc_demo, flagged):
    from shoprel.training.noise_filter import noise_side

    path, _ = flagged
    config = load_config(None, {"noise.flagged": str(path), "model.family": "cross"})
    frame = read_pairs(qc_demo)
    with pytest.raises(ConfigError, match="ignores per-row weights"):
        noise_side(config, frame)
    drop = config.model_copy(update={"noise": config.noise.model_copy(update={"mode": "drop"})})
    assert len(noise_side(drop, frame)(frame)) == 320


def test_inner_folds_flag_each_fit_from_its_own_rows(tmp_path, qc_demo, fits):
    result = train(qc_demo, tmp_path / "run", load_config(None, {
        **SMALL, "model.params.stack": False, "noise.inner_folds": 2, "noise.weight": 0.3}),
        progress=False)
    weighted = [f for f in fits if "weight" in f]  # the outer fits; inner ones carry none
    assert len(weighted) == 4
    for frame in weighted:
        assert set(frame["weight"]) == {0.3, 1.0}
        assert 0.02 < (frame["weight"] == 0.3).mean() < 0.5
    assert len(fits) == 4 + 4 * 2
    assert result.metrics["noise"]["flagged_by"].startswith("cleanlab on 2 inner folds")
    assert result.metrics["overall"]["n"] == 360
    with pytest.raises(ConfigError, match="not both"):
        load_config(None, {"noise.inner_folds": 2, "noise.flagged": "x.txt"})
