"""The cross-encoder on the demo set with a tiny random local BERT, so each fit takes a second."""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tests.models.builders import train_demo_quietly, without_weights  # noqa: E402

from shoprel.data.frame import PairFrame  # noqa: E402
from shoprel.errors import ConfigError, RunDirError  # noqa: E402
from shoprel.models.base import RelevanceModel, validate_params  # noqa: E402
from shoprel.models.cross.model import HF_FOLDER, CrossEncoderModel  # noqa: E402
from shoprel.models.hf import trainer as hft  # noqa: E402
from shoprel.models.registry import model_class  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def small(small_model):
    """small(**params) -> an unfitted tiny cross-encoder (the shared model fixture)."""
    return lambda **params: small_model("cross", **params)


@pytest.fixture(scope="module")
def fitted(qc_frame, small):
    return small().fit(qc_frame.take(np.arange(200)))


def test_registered_and_params_validated():
    assert model_class("cross") is CrossEncoderModel
    assert validate_params("cross", {"class_weight": "balanced"})["class_weight"] == "balanced"
    with pytest.raises(ConfigError, match="model.params.lr_scheduler"):
        validate_params("cross", {"lr_scheduler": "sometimes"})
    with pytest.raises(ConfigError, match="model.params.max_lenght: unknown key"):
        validate_params("cross", {"max_lenght": 64})


def test_fit_save_load_gives_same_probabilities(fitted, qc_frame, tmp_path):
    valid = qc_frame.take(np.arange(200, 280))
    p = fitted.predict_proba(valid)
    assert p.shape == (80, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[:, 1].std() > 0  # the head learned something row-dependent
    assert fitted.train_stats_["global_step"] == 8
    folder = fitted.save(tmp_path / "m")
    saved = json.loads((folder / "model.json").read_text())
    assert saved["family"] == "cross" and saved["state"]["task"] == "QC"
    assert (folder / HF_FOLDER / "config.json").is_file()
    assert (folder / HF_FOLDER / "model.safetensors").is_file()
    loaded = RelevanceModel.load(folder)
    assert isinstance(loaded, CrossEncoderModel) and loaded.engine_ == "torch"
    np.testing.assert_allclose(loaded.predict_proba(valid), p, atol=1e-6)


def test_saved_folder_is_an_ordinary_hf_classifier(fitted, qc_frame, tmp_path):
    """sentence-transformers' CrossEncoder reads the same weights and gives the same scores."""
    st = pytest.importorskip("sentence_transformers")
    folder = fitted.save(tmp_path / "m")
    rows = qc_frame.take(np.arange(200, 230))
    first, second = fitted.pair_texts(rows)
    encoder = st.CrossEncoder(str(folder / HF_FOLDER), max_length=fitted.max_length,
                              device="cpu")
    logits = encoder.predict(list(zip(first, second, strict=True)), batch_size=8,
                             activation_fn=torch.nn.Identity(), convert_to_numpy=True)
    np.testing.assert_allclose(hft.softmax_positive(logits), fitted.predict_proba(rows)[:, 1],
                               atol=1e-5)


def test_class_weighting_is_applied(qc_frame, small):
    y = qc_frame.labels[:200]
    weights = hft.balanced_class_weights(y)
    np.testing.assert_allclose(weights * np.bincount(y), [100, 100])
    model = small(class_weight="balanced", max_steps=2)
    model.fit(qc_frame.take(np.arange(200)))
    np.testing.assert_allclose(model.class_weights_, weights)

    # the trainer's loss is the weighted cross-entropy over the step's weights, not the
    # model's plain mean: tests/models/hf/test_step_loss.py


def test_word_embeddings_frozen_or_not(fitted, qc_frame, small, tiny_bert):
    from transformers import AutoModel

    base = AutoModel.from_pretrained(tiny_bert).get_input_embeddings().weight
    frozen = fitted.model_.get_input_embeddings().weight
    torch.testing.assert_close(frozen, base)
    total = sum(p.numel() for p in fitted.model_.parameters())
    assert fitted.train_stats_["trainable_parameters"] == total - base.numel()

    free = small(freeze_word_embeddings=False, max_steps=2)
    free.fit(qc_frame.take(np.arange(200)))
    assert free.train_stats_["trainable_parameters"] == total
    assert not torch.equal(free.model_.get_input_embeddings().weight, base)


def test_time_budget_stops_training(qc_frame, small):
    model = small(max_steps=100_000, time_budget_minutes=0.02,
                  save_steps=100_000)
    model.fit(qc_frame.take(np.arange(200)))
    stats = model.train_stats_
    assert stats["stopped_by_time_budget"]
    assert 0 < stats["global_step"] < 100_000
    assert stats["seconds"] < 20
    assert model.predict_proba(qc_frame.take(np.arange(5))).shape == (5, 2)


@pytest.mark.parametrize("progress", [True, False])
def test_fine_tuning_writes_no_log_dicts_on_stdout(qc_frame, small, capfd, progress):
    """With progress on, Hugging Face's bar wrote its log dicts ({'train_runtime': ...}) on
    stdout, where a command's results go; the bar stays (on stderr), the dicts are gone."""
    small(progress=progress, max_steps=2).fit(qc_frame.take(np.arange(40)))
    captured = capfd.readouterr()
    assert "train_runtime" not in captured.out + captured.err and "{'" not in captured.out
    assert ("2/2" in captured.err) is progress


class _Interrupt(Exception):
    pass


def test_interrupted_fit_resumes_from_its_checkpoint(qc_frame, small, tmp_path, monkeypatch):
    """A fit that dies after step 6 leaves checkpoint-4; the same fit run again goes on from
    step 4 (in the same cache-derived folder) and ends where an uninterrupted fit ends."""
    from transformers import TrainerCallback

    rows = qc_frame.take(np.arange(200))
    cache = str(tmp_path / "cache")
    run_trainer = hft.run_trainer

    class DieAtStep6(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 6:
                raise _Interrupt()

    def interrupted(*args, callbacks=None, **kwargs):
        return run_trainer(*args, callbacks=[*(callbacks or []), DieAtStep6()], **kwargs)

    monkeypatch.setattr(hft, "run_trainer", interrupted)
    with pytest.raises(_Interrupt):
        small(cache_dir=cache).fit(rows)
    folders = list((tmp_path / "cache" / "checkpoints").iterdir())
    assert len(folders) == 1
    assert sorted(p.name for p in folders[0].iterdir()) == ["checkpoint-4"]

    monkeypatch.setattr(hft, "run_trainer", run_trainer)
    resumed = small(cache_dir=cache).fit(rows)
    assert resumed.train_stats_["resumed_from_step"] == 4
    assert resumed.train_stats_["global_step"] == 8
    assert not folders[0].exists()  # a finished fit removes its checkpoints

    straight = small(cache_dir=str(tmp_path / "other")).fit(rows)
    assert straight.train_stats_["resumed_from_step"] == 0
    valid = qc_frame.take(np.arange(200, 260))
    np.testing.assert_allclose(resumed.predict_proba(valid), straight.predict_proba(valid),
                               atol=1e-5)


@pytest.mark.parametrize("keep", [False, True])
def test_the_last_step_writes_a_checkpoint_only_when_they_are_kept(qc_frame, small, tmp_path,
                                                                  monkeypatch, keep):
    """Hugging Face saved a whole checkpoint (model and optimizer state) at a fit's last step,
    whatever save_steps said, and the fit removed it right after; a fit keeps writing the ones
    a rerun resumes from, and the last only when its checkpoints are kept."""
    from transformers import TrainerCallback

    saved = []
    run_trainer = hft.run_trainer

    class SavedSteps(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            saved.append(state.global_step)

    def spied(*args, callbacks=None, **kwargs):
        return run_trainer(*args, callbacks=[*(callbacks or []), SavedSteps()], **kwargs)

    monkeypatch.setattr(hft, "run_trainer", spied)
    model = small(checkpoint_dir=str(tmp_path / "ckpt"), keep_checkpoints=keep, max_steps=6)
    model.fit(qc_frame.take(np.arange(100)))
    assert model.train_stats_["global_step"] == 6
    assert saved == ([4, 6] if keep else [4])
    kept = [p.name for folder in (tmp_path / "ckpt").iterdir() for p in folder.iterdir()]
    assert sorted(kept) == (["checkpoint-4", "checkpoint-6"] if keep else [])


def test_explicit_checkpoint_dir_is_kept_on_request(qc_frame, small, tmp_path):
    model = small(checkpoint_dir=str(tmp_path / "ckpt"), keep_checkpoints=True)
    model.fit(qc_frame.take(np.arange(100)))
    (fit_folder,) = (tmp_path / "ckpt").iterdir()  # one folder per fit, named by its inputs
    assert sorted(p.name for p in fit_folder.iterdir()) == ["checkpoint-4", "checkpoint-8"]
    again = small(checkpoint_dir=str(tmp_path / "ckpt"), max_steps=10)
    again.fit(qc_frame.take(np.arange(100)))
    assert again.train_stats_["resumed_from_step"] == 8
    assert again.train_stats_["global_step"] == 10

    other_rows = small(checkpoint_dir=str(tmp_path / "ckpt"), max_steps=10,
                       keep_checkpoints=True)
    other_rows.fit(qc_frame.take(np.arange(100, 200)))  # another fold: starts from scratch
    assert other_rows.train_stats_.get("resumed_from_step") in (None, 0)
    # the first fit's folder went when `again` finished; the other fold kept its own
    assert [p.name for p in (tmp_path / "ckpt").iterdir()] != [fit_folder.name]
    assert not fit_folder.exists()


def test_query_side_uses_translation(small):
    import pandas as pd

    from shoprel.data.tasks import Task

    df = pd.DataFrame({"id": [1, 2], "language": ["es", "en"],
                       "query": ["funda iphone", "phone case"],
                       "target": ["phones,cases", "phones,cases"],
                       "query_en": ["iphone case", "phone case"], "label": [1, 0]})
    frame = PairFrame(Task.QC, df)
    model = small()
    model.query_prefix_, model.passage_prefix_ = "query: ", "passage: "
    first, second = model.pair_texts(frame)
    assert first == ["query: funda iphone - iphone case", "query: phone case"]
    assert second == ["passage: phones,cases", "passage: phones,cases"]
    model.use_translation = False
    assert model.pair_texts(frame)[0] == ["query: funda iphone", "query: phone case"]


def test_start_from_a_saved_model(fitted, qc_frame, small, tmp_path):
    folder = fitted.save(tmp_path / "stage0")
    valid = qc_frame.take(np.arange(200, 240))
    # one step at a vanishing learning rate: the result is the starting weights
    warm = small(max_steps=1, learning_rate=1e-12).start_from(folder)
    warm.fit(qc_frame.take(np.arange(200, 300)))
    np.testing.assert_allclose(warm.predict_proba(valid), fitted.predict_proba(valid), atol=1e-5)
    cold = small(max_steps=1, learning_rate=1e-12)
    cold.fit(qc_frame.take(np.arange(200, 300)))
    assert np.abs(cold.predict_proba(valid) - fitted.predict_proba(valid)).max() > 1e-3
    with pytest.raises(RunDirError, match="not a saved 'cross' model"):
        small().start_from(tmp_path)


def test_forcing_an_engine_without_export_fails(fitted, tmp_path, monkeypatch):
    folder = fitted.save(tmp_path / "m")
    monkeypatch.setenv("SHOPREL_CROSS_ENGINE", "onnx")
    with pytest.raises(RunDirError, match="no exported ONNX model"):
        RelevanceModel.load(folder)
    monkeypatch.setenv("SHOPREL_CROSS_ENGINE", "gpu")
    with pytest.raises(ConfigError, match="SHOPREL_CROSS_ENGINE"):
        RelevanceModel.load(folder)


def test_the_new_head_is_no_load_report_and_missing_encoder_weights_are_kept(
        qc_frame, small, tiny_bert, tmp_path, capfd):
    """With progress on, the fit printed transformers' whole LOAD REPORT table for the new
    classifier head's weights, missing from every encoder checkpoint as expected; it prints
    none now, and weights missing from the encoder itself (a broken checkpoint, which
    transformers' report would have listed alike) are recorded for `shoprel train` to warn."""
    import io
    import logging

    rows = qc_frame.take(np.arange(40))
    # transformers' handler holds whichever stderr it first met: read its logger directly
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logging.getLogger("transformers").addHandler(handler)
    try:
        model = small(progress=True, max_steps=1, cache_dir=str(tmp_path / "c1")).fit(rows)
        assert "1/1" in capfd.readouterr().err  # the progress bar is still there
        assert "LOAD REPORT" not in log.getvalue() and "MISSING" not in log.getvalue()
        assert model.train_stats_["missing_encoder_weights"] == []

        broken = without_weights(Path(tiny_bert), tmp_path / "broken",
                             ["encoder.layer.0.attention.self.query.weight"])
        model = small(backbone=str(broken), progress=True, max_steps=1,
                      cache_dir=str(tmp_path / "c2")).fit(rows)
        assert model.train_stats_["missing_encoder_weights"] == [
            "bert.encoder.layer.0.attention.self.query.weight"]
    finally:
        logging.getLogger("transformers").removeHandler(handler)
    assert "LOAD REPORT" not in log.getvalue() and "MISSING" not in log.getvalue()


def test_train_warns_in_one_line_of_a_backbone_missing_encoder_weights(tiny_bert, tmp_path):
    """Silenced, transformers' report said nothing of a broken backbone, whose missing encoder
    weights started random in every fit; `shoprel train` says so once, even under --quiet."""


    broken = without_weights(Path(tiny_bert), tmp_path / "broken",
                             ["encoder.layer.0.attention.self.query.weight"])
    done = train_demo_quietly(tmp_path, "cross", f"backbone: '{broken}', max_length: 32, "
                              "batch_size: 16, max_steps: 1, n_threads: 1")
    # a model of one step may call every row relevant: train says that too, on its own line
    said = [line for line in done.stderr.splitlines()
            if not line.startswith("warning: the run calls every row relevant")]
    assert said == [
        f"warning: model.params.backbone {broken} lacks 1 encoder weight(s) "
        "(bert.encoder.layer.0.attention.self.query.weight), which started random: a broken "
        "checkpoint? the run's models were fine-tuned from those random weights"]
