"""A run trained with noise.flagged ids that `shoprel noise` chose from a run over its own rows
measures optimistic OOF figures (the flags knew its validation folds' labels): train said
nothing, and compare called such a run "better" (ΔAUC +0.069, a tight interval, on 1,500 QC
rows). noise now records where its flags came from (FILE.source.json); train notes the leak,
metrics.json keeps it as distill keeps a leaky student's, and compare and the report show it."""

import html
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import shoprel.demo
from shoprel.cli import main
from shoprel.ensemble.flag_source import source_path

pytestmark = pytest.mark.usefixtures("no_report_charts")

# the fast family (configs/fast.yaml's model), small: what is checked is the notes and records
# of where the flags came from, not the model
FAST = "model: {family: fast, params: {n_features: 4096, n_estimators: 10, n_jobs: 1}}\n"
CAVEAT = ("OOF figures are optimistic: the noise.flagged ids were chosen by shoprel noise from "
          "the out-of-fold scores of the run a, which cover {n} of these {rows} rows, so they "
          "knew labels of this run's validation folds (noise.inner_folds flags without them)")


def _invoke(*args: str):
    done = CliRunner().invoke(main, [str(a) for a in args])
    assert done.exit_code == 0, done.output
    return done


def _notes(done) -> list[str]:
    """The notes on optimistic figures (a busy machine's may come too)."""
    return [line for line in done.stderr.splitlines() if "optimistic" in line]


def _train(data: Path, out: Path, flagged: Path | None, *extra: str):
    config = out.parent / f"{out.name}.yaml"
    noise = f"noise: {{flagged: {flagged}, mode: drop}}\n" if flagged else ""
    config.write_text(FAST + "check: {far_pairs: 0}\n" + noise,
                      encoding="utf-8")
    return _invoke("train", data, "--config", config, "--folds", "3", "--out", out, *extra)


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    """The QC demo's first 240 rows, a fast run of them and noise's flags from it."""
    root = tmp_path_factory.mktemp("flags")
    rows = [json.loads(line) for line in
            shoprel.demo.demo_file("QC").read_text(encoding="utf-8").splitlines() if line]
    data = _write(root / "qc.jsonl", rows[:240])
    _train(data, root / "a", None, "--quiet")
    _invoke("noise", root / "a", "--top", "0", "--out", root / "flagged.txt")
    return root, rows, data


def test_flags_from_the_same_rows_are_noted_recorded_and_compared(flagged):
    root, _, data = flagged
    record = json.loads(source_path(root / "flagged.txt").read_text(encoding="utf-8"))
    assert record["run"] == str((root / "a").resolve()) and record["train_file"] == str(data)
    said = CAVEAT.format(n=240, rows=240)
    done = _train(data, root / "b", root / "flagged.txt")
    assert _notes(done) == [f"note: {said}"]
    quiet = _train(data, root / "b_quiet", root / "flagged.txt", "--quiet")
    assert _notes(quiet) == [] and quiet.stderr == ""
    metrics = json.loads((root / "b" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["noise"]["oof_optimistic"] is True and metrics["noise"]["caveat"] == said
    assert metrics["noise"]["source"]["shared_rows"] == 240
    compared = _invoke("compare", root / "a", root / "b", "--out", root / "c.html")
    assert compared.stdout.splitlines()[-2] == (
        f"note: b is a run trained with noise.flagged ids chosen from its own rows; {said}: its "
        "figures here are optimistic, so a gain over the other runs can be leak (a run flagged "
        "with noise.inner_folds, or with flags from a run on other rows, gives honest ones)")
    assert "a run trained with noise.flagged ids chosen from its own rows" in \
        (root / "c.html").read_text(encoding="utf-8")
    from shoprel.evaluate.report.verdict import verdict_section

    assert f'<span class="flag">Its OOF figures are optimistic</span>: {html.escape(said)}' in \
        verdict_section(metrics, "b")


def test_a_file_holding_the_flagged_run_s_rows_among_others_is_noted_too(flagged):
    """Another file (other bytes) holding the rows the flags' run scored: the leak is there for
    those rows, counted by the pairs that run's out-of-fold table keeps."""
    root, rows, _ = flagged
    more = _write(root / "more.jsonl", rows)
    done = _train(more, root / "more", root / "flagged.txt")
    assert _notes(done) == [f"note: {CAVEAT.format(n=240, rows=360)}"]


def test_flags_from_a_disjoint_file_or_by_hand_are_not_noted(flagged, tmp_path):
    """Rows the flags' run never scored (the demo's last 120, under the ids of the flagged
    rows), and a list with no record of its source (hand-written, or edited since noise wrote
    it): nothing can be told, nothing is said."""
    root, rows, _ = flagged
    ids = (root / "flagged.txt").read_text(encoding="utf-8").split()
    others = [{**row, "id": int(ids[k]) if k < len(ids) else 10_000 + k}
              for k, row in enumerate(rows[240:])]
    disjoint = _write(tmp_path / "other.jsonl", others)
    (tmp_path / "flagged.txt").write_bytes((root / "flagged.txt").read_bytes())
    source_path(tmp_path / "flagged.txt").write_bytes(
        source_path(root / "flagged.txt").read_bytes())
    done = _train(disjoint, tmp_path / "d", tmp_path / "flagged.txt")
    assert _notes(done) == []
    metrics = json.loads((tmp_path / "d" / "metrics.json").read_text(encoding="utf-8"))
    assert "oof_optimistic" not in metrics["noise"]
    by_hand = tmp_path / "by_hand.txt"
    by_hand.write_text("\n".join(ids[:5]) + "\n", encoding="utf-8")
    edited = root / "flagged_edited.txt"
    edited.write_text("\n".join(ids[:5]) + "\n", encoding="utf-8")
    source_path(edited).write_bytes(source_path(root / "flagged.txt").read_bytes())
    for flags in (by_hand, edited):
        done = _train(root / "qc.jsonl", tmp_path / flags.stem, flags)
        assert _notes(done) == []


def test_noise_replaces_its_own_record_and_refuses_another_file(flagged, tmp_path):
    root, _, _ = flagged
    out = tmp_path / "ids.txt"
    _invoke("noise", root / "a", "--top", "0", "--out", out)
    first = source_path(out).read_text(encoding="utf-8")
    _invoke("noise", root / "a", "--top", "0", "--out", out, "--overwrite")
    assert source_path(out).read_text(encoding="utf-8") == first
    source_path(out).write_text('{"mine": 1}\n', encoding="utf-8")
    ids = out.read_bytes()
    refused = CliRunner().invoke(main, ["noise", str(root / "a"), "--out", str(out),
                                        "--overwrite"])
    assert refused.exit_code != 0  # the ids, which that record no longer proves noise's
    assert (f"{out}: exists and is not a flagged-ids file that noise wrote (ids.txt.source.json "
            "beside it is no record noise wrote)") in refused.stderr
    assert out.read_bytes() == ids
    out.unlink()  # no ids to judge: the record's own guard
    refused = CliRunner().invoke(main, ["noise", str(root / "a"), "--out", str(out),
                                        "--overwrite"])
    assert refused.exit_code != 0
    assert "ids.txt.source.json: exists and is not the record of where flagged ids came from" \
        in refused.stderr
    assert source_path(out).read_text(encoding="utf-8") == '{"mine": 1}\n'
    assert not out.exists()


def test_flags_written_with_no_run_named_open_no_folder_named_none(tmp_path, monkeypatch):
    """Flags written from Python with no run record `run: null`; the count of rows their run
    scored opened `Run.open("None")`, a folder of that name in the working folder."""
    import pandas as pd

    from shoprel.ensemble import flag_source

    def opened(path):
        raise AssertionError(f"opened a run at {path!r}")

    monkeypatch.setattr(flag_source.Run, "open", opened)
    rows = pd.DataFrame({"query": ["a"], "target": ["b"]})
    assert flag_source.shared_rows({"run": None, "train_sha256": None}, rows, "x" * 64) == 0
