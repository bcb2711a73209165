"""The bi-encoder on the demo set with a tiny random local BERT (its top layer trained), and on
EmbeddingGemma where it is built: the frozen split pipeline gives the backbone's own vectors."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from sklearn.metrics import roc_auc_score  # noqa: E402
from tests.conftest import USER_CACHE  # noqa: E402
from tests.models.builders import train_demo_quietly, without_weights  # noqa: E402

from shoprel.errors import ConfigError, RunDirError  # noqa: E402
from shoprel.models.base import RelevanceModel, validate_params  # noqa: E402
from shoprel.models.biencoder.model import (  # noqa: E402
    TUNED_FOLDER,
    WEIGHTS_FILE,
    BiEncoderModel,
    holdout_split,
)
from shoprel.models.biencoder.scorer import PairScorer  # noqa: E402
from shoprel.models.biencoder.states import forget  # noqa: E402
from shoprel.models.registry import model_class  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def small(small_model):
    return lambda **params: small_model("biencoder", **params)


@pytest.fixture(scope="module")
def fitted(qc_frame, small):
    forget()
    # 30 steps at most; the held-out score peaks at step 12 on these rows and settings
    return small(max_steps=30, learning_rate=1e-2, eval_fraction=0.25).fit(
        qc_frame.take(np.arange(240)))


def test_registered_and_params_validated():
    assert model_class("biencoder") is BiEncoderModel
    assert validate_params("biencoder", {"loss": "cosent"})["loss"] == "cosent"
    with pytest.raises(ConfigError, match="model.params.tuned_layers"):
        validate_params("biencoder", {"tuned_layers": 0})
    with pytest.raises(ConfigError, match="model.params.loss"):
        validate_params("biencoder", {"loss": "hinge"})


def test_only_the_top_layer_moves(fitted, small):
    from transformers import AutoModel

    original = AutoModel.from_pretrained(small().backbone)
    scorer, _, split = fitted.tuned_parts()
    moved = {name for name, p in split.model.named_parameters()
             if not torch.equal(p, original.state_dict()[name])}
    assert moved and all(name.startswith("encoder.layer.1.") for name in moved), moved


def test_the_best_held_out_weights_are_kept(fitted, qc_frame):
    """Early stopping keeps the weights of the best held-out score, not the last step's."""
    stats = fitted.train_stats_
    assert stats["holdout_rows"] > 0 and 0 < stats["best_step"] < stats["steps"]
    assert stats["holdout_roc_auc_best"] > stats["holdout_roc_auc_start"]
    rows = qc_frame.take(np.arange(240))
    _, holdout = holdout_split(rows, fitted.config())
    p = fitted.predict_proba(rows.take(holdout))[:, 1]
    assert roc_auc_score(rows.labels[holdout], p) == pytest.approx(
        stats["holdout_roc_auc_best"], abs=1e-4)


def test_training_stops_once_the_held_out_score_stops_improving(fitted):
    stats = fitted.train_stats_
    assert stats["steps"] < 30
    assert stats["steps"] - stats["best_step"] == 3 * 4  # patience 3 scores, every 4 steps


def test_without_a_holdout_every_row_trains_the_whole_schedule(qc_frame, small):
    model = small(max_steps=5, eval_fraction=0).fit(qc_frame.take(np.arange(120)))
    assert model.train_stats_["steps"] == 5 and model.train_stats_["holdout_rows"] == 0
    assert "best_step" not in model.train_stats_


def test_cosent_loss_orders_positives_above_negatives():
    scorer = PairScorer(torch.nn.Identity(), [], loss="cosent")
    labels = torch.tensor([1.0, 0.0, 1.0, 0.0])
    target = torch.tensor([[1.0, 0.0]] * 4)
    along, across = [1.0, 0.0], [0.0, 1.0]  # cosine 1 and 0 with the target
    right = scorer.loss(scorer.logits(torch.tensor([along, across, along, across]), target),
                        labels)
    wrong = scorer.loss(scorer.logits(torch.tensor([across, along, across, along]), target),
                        labels)
    assert right.item() < 1e-6 < wrong.item()
    assert wrong.item() == pytest.approx(np.log(1 + 4 * np.exp(20.0)), rel=1e-5)


LABELS = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0])  # both kinds in each half of 4


def one_step_gradients(scorer, q_states, t_states, rows_per_batch: int, accumulation: int,
                       folder):
    """The gradients and logged loss of one Trainer step over the 8 pairs in order, built as
    fit_scorer builds its Trainer; clipping off, so the gradients are the loss's own."""
    import dataclasses

    from transformers import Trainer, TrainerCallback

    from shoprel.models.biencoder.training import PairRows, collator
    from shoprel.models.hf import trainer as hft
    from shoprel.models.hf.config import TrainingArguments

    class Kept(TrainerCallback):
        grads: dict = {}

        def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
            self.grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()
                          if p.grad is not None}

    kept = Kept()
    params = TrainingArguments(batch_size=rows_per_batch, grad_accumulation=accumulation,
                               max_steps=1, learning_rate=1e-3)
    arguments = dataclasses.replace(
        hft.training_arguments(params, folder), save_strategy="no", max_grad_norm=0.0,
        logging_steps=1, train_sampling_strategy="sequential")
    trainer = Trainer(model=scorer, args=arguments, train_dataset=PairRows(np.arange(8)),
                      data_collator=collator(q_states, t_states, LABELS), callbacks=[kept])
    trainer.train()
    return kept.grads, next(e for e in trainer.state.log_history if "grad_norm" in e)["loss"]


@pytest.mark.parametrize("loss", ["bce", "cosent"])
def test_accumulated_micro_batches_step_with_the_step_s_mean_loss(loss, tmp_path):
    """The scorer's forward has **kwargs, so Trainer took its loss for a sum over the step's
    pairs divided by their count and left out the division by the accumulation steps: BCE's
    mean of 4 pairs and CoSENT's ranking of 4 pairs, 2 micro-batches stepped with twice the
    gradients. BCE now sums over the step's 8 pairs (one batch of the 8's gradients); CoSENT,
    which ranks a micro-batch's pairs against each other, averages its micro-batches' losses."""
    from transformers import BertConfig, BertModel

    from shoprel.models.biencoder.scorer import pad

    torch.manual_seed(0)
    top = BertModel(BertConfig(vocab_size=10, hidden_size=16, num_hidden_layers=1,
                               num_attention_heads=2, intermediate_size=32,
                               hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    scorer = PairScorer(top, [], loss)
    scorer.train()
    generator = torch.Generator().manual_seed(5)
    q_states, t_states = ([torch.randn(int(n), 16, generator=generator)
                           for n in torch.randint(2, 9, (8,), generator=generator)]
                          for _ in range(2))
    start = {name: value.clone() for name, value in scorer.state_dict().items()}

    halves = [slice(0, 8)] if loss == "bce" else [slice(0, 4), slice(4, 8)]
    by_hand = 0
    for half in halves:  # the step's loss: one mean over 8, or the mean of two halves' losses
        q, q_mask = pad(q_states[half])
        t, t_mask = pad(t_states[half])
        by_hand = by_hand + scorer(q, q_mask, t, t_mask, torch.tensor(LABELS[half]))["loss"]
    (by_hand / len(halves)).backward()
    expected = {name: p.grad.clone() for name, p in scorer.named_parameters()
                if p.grad is not None}
    scorer.zero_grad()

    scorer.load_state_dict(start)
    split, split_loss = one_step_gradients(scorer, q_states, t_states, 4, 2, tmp_path / "split")
    assert split_loss == pytest.approx(float(by_hand.detach()) / len(halves), rel=1e-5)  # was twice
    if loss == "bce":
        scorer.load_state_dict(start)
        whole, _ = one_step_gradients(scorer, q_states, t_states, 8, 1, tmp_path / "whole")
        assert whole.keys() == expected.keys()
        for name, grad in expected.items():
            torch.testing.assert_close(whole[name], grad, rtol=1e-4, atol=1e-7, msg=name)
    assert split.keys() == expected.keys()
    assert sum(bool(grad.abs().max() > 1e-6) for grad in expected.values()) >= 4
    for name, grad in expected.items():
        # key biases' gradients are 0 in exact arithmetic (softmax ignores them): rounding
        torch.testing.assert_close(split[name], grad, rtol=1e-4, atol=1e-7, msg=name)

def test_saved_weights_that_do_not_fit_are_refused(fitted, qc_frame, tmp_path):
    folder = fitted.save(tmp_path / "model")
    assert (folder / TUNED_FOLDER / WEIGHTS_FILE).is_file()
    config = json.loads((folder / "model.json").read_text())
    config["params"]["tuned_layers"] = 2
    (folder / "model.json").write_text(json.dumps(config))
    loaded = RelevanceModel.load(folder)
    with pytest.raises(RunDirError, match=f"{WEIGHTS_FILE}: tensors do not match"):
        loaded.predict_proba(qc_frame.take(np.arange(3)))
    (folder / TUNED_FOLDER / WEIGHTS_FILE).write_bytes(b"not safetensors")
    with pytest.raises(RunDirError, match="cannot read the tuned weights"):
        RelevanceModel.load(folder).predict_proba(qc_frame.take(np.arange(3)))
    (folder / TUNED_FOLDER / WEIGHTS_FILE).unlink()
    with pytest.raises(RunDirError, match=f"{WEIGHTS_FILE}: missing"):
        RelevanceModel.load(folder)


def test_more_tuned_layers_than_the_backbone_has_is_refused(qc_frame, small):
    with pytest.raises(ConfigError, match="tuned_layers: 3, but the backbone has 2 layers"):
        small(tuned_layers=3).fit(qc_frame.take(np.arange(60)))


def _embeddinggemma():
    from shoprel.models.backbones import embeddinggemma as eg
    from shoprel.models.backbones.cache import META_FILE

    return eg, (USER_CACHE / "backbones" / eg.NAME / META_FILE).is_file()


@pytest.mark.skipif(not _embeddinggemma()[1], reason="EmbeddingGemma is not built in the "
                    "shoprel cache (1.2 GB; `shoprel train` with the default model builds it)")
def test_untrained_split_pipeline_gives_embeddinggemmas_vectors(user_built_backbones):
    """Lower layers, then the top 4 on their states, pooling and the dense head: the vectors
    sentence-transformers computes from the whole model."""
    from shoprel.models.backbones.encoders import make_encoder
    from shoprel.models.backbones.resolve import resolve_backbone
    from shoprel.models.biencoder.config import BiEncoderConfig
    from shoprel.models.biencoder.model import BiEncoderModel

    eg, _ = _embeddinggemma()
    backbone = resolve_backbone(eg.NAME, verify=False)
    texts = ["water bottle for kids", "funda iphone 13", "무선 이어폰"]
    expected = make_encoder(backbone, num_threads=1).encode(texts, kind="query")
    scorer, states, _ = BiEncoderModel().torch_parts(backbone, BiEncoderConfig(tuned_layers=4))
    ours = states.vectors(scorer, [backbone.query_prefix + t for t in texts])
    np.testing.assert_allclose(ours, expected, atol=2e-4)


def test_cosent_fits_scale_and_bias_on_the_held_out_rows(qc_frame, small):
    """CoSENT trains only the order of cosines; the scale and bias are then fitted, so the
    probabilities match the held-out rows' positive rate instead of sigmoid(10·cos)."""
    rows = qc_frame.take(np.arange(240))
    model = small(max_steps=8, learning_rate=1e-2, eval_fraction=0.25, loss="cosent").fit(rows)
    assert model.train_stats_["calibrated_on"] == "holdout"
    scorer = model.tuned_parts()[0]
    assert (scorer.scale.item(), scorer.bias.item()) != (10.0, 0.0)
    _, holdout = holdout_split(rows, model.config())
    p = model.predict_proba(rows.take(holdout))[:, 1]
    assert p.mean() == pytest.approx(rows.labels[holdout].mean(), abs=0.02)
    bce = small(max_steps=2, eval_fraction=0.25).fit(rows)
    assert bce.train_stats_["calibrated_on"] is None


def test_a_second_fit_reads_the_frozen_layers_states_from_disk(qc_frame, small, tmp_path,
                                                               monkeypatch):
    from shoprel.models.backbones.split_encoder import SplitEncoder

    rows = qc_frame.take(np.arange(80))
    forget()
    first = small(max_steps=3, eval_fraction=0, cache_dir=str(tmp_path)).fit(rows)
    assert list((tmp_path / "states").glob("*.sqlite"))
    forget()  # a new process: nothing in memory
    computed = []  # rows the frozen lower layers ran on
    bottom = SplitEncoder.bottom

    def counted(self, input_ids, attention_mask):
        computed.extend(input_ids.tolist())
        return bottom(self, input_ids, attention_mask)

    monkeypatch.setattr(SplitEncoder, "bottom", counted)
    second = small(max_steps=3, eval_fraction=0, cache_dir=str(tmp_path)).fit(rows)
    assert computed == []
    np.testing.assert_allclose(second.predict_proba(rows), first.predict_proba(rows), atol=1e-6)


def test_states_past_float16s_range_are_kept_whole_in_memory_and_on_disk(qc_frame, small,
                                                                        tmp_path, monkeypatch):
    # EmbeddingGemma's input to its last layer reaches ~112k; float16 made it inf, the held-out
    # cosines NaN, and `tuned_layers: 1` failed in roc_auc_score ("Input contains NaN")
    from shoprel.models.backbones.split_encoder import SplitEncoder

    bottom = SplitEncoder.bottom
    calls = []

    def loud(self, input_ids, attention_mask):
        calls.append(len(input_ids))
        return bottom(self, input_ids, attention_mask) * 1e5

    monkeypatch.setattr(SplitEncoder, "bottom", loud)
    rows = qc_frame.take(np.arange(80))
    forget()
    first = small(max_steps=2, eval_fraction=0.25, cache_dir=str(tmp_path)).fit(rows)
    scores = first.predict_proba(rows)
    assert np.isfinite(scores).all() and scores.std() > 0
    forget()
    calls.clear()
    second = small(max_steps=2, eval_fraction=0.25, cache_dir=str(tmp_path)).fit(rows)
    assert calls == []  # every text's float32 states read back from disk
    np.testing.assert_allclose(second.predict_proba(rows), scores, atol=1e-6)


def test_a_stored_float16_state_holding_inf_is_computed_again(tmp_path):
    from shoprel.models.biencoder.state_cache import StateCache

    cache = StateCache(tmp_path / "states.sqlite")
    cache.store({"fits": torch.ones(2, 3, dtype=torch.float16),
                 "overflowed": torch.full((2, 3), float("inf"), dtype=torch.float16),
                 "wide": torch.full((2, 3), 1e5)})
    found = cache.lookup(["fits", "overflowed", "wide"])
    assert sorted(found) == ["fits", "wide"]
    assert found["wide"].dtype == torch.float32 and float(found["wide"][0, 0]) == 1e5


def test_without_the_state_cache_nothing_is_written(qc_frame, small, tmp_path):
    forget()
    small(max_steps=2, eval_fraction=0, cache_dir=str(tmp_path), state_cache=False).fit(
        qc_frame.take(np.arange(40)))
    assert not (tmp_path / "states").exists()


BROKEN = "encoder.layer.0.attention.self.query.weight"


def test_encoder_weights_missing_from_the_backbone_are_kept(qc_frame, small, tiny_bert,
                                                            tmp_path, transformers_log):
    """transformers' load report (shown only with progress on) was all that told of a
    checkpoint missing encoder weights, which then started random; they are recorded in the
    fit's training record now, the report stays silent, and the pooler, which the
    bi-encoder never reads (a masked-LM checkpoint has none), is not among them."""
    from pathlib import Path

    rows = qc_frame.take(np.arange(40))
    forget()
    model = small(max_steps=1, eval_fraction=0, cache_dir=str(tmp_path / "c1")).fit(rows)
    assert model.train_stats_["missing_encoder_weights"] == []
    broken = without_weights(Path(tiny_bert), tmp_path / "broken",
                              [BROKEN, "pooler.dense.weight"])
    forget()
    model = small(backbone=str(broken), max_steps=1, eval_fraction=0, progress=True,
                  cache_dir=str(tmp_path / "c2")).fit(rows)
    assert model.train_stats_["missing_encoder_weights"] == [BROKEN]
    assert "LOAD REPORT" not in transformers_log.getvalue()


def test_train_warns_in_one_line_of_a_backbone_missing_encoder_weights(tiny_bert, tmp_path):
    """`shoprel train` says once, even under --quiet, that the backbone's missing encoder
    weights started random in every fit."""
    from pathlib import Path


    broken = without_weights(Path(tiny_bert), tmp_path / "broken", [BROKEN])
    forget()
    done = train_demo_quietly(tmp_path, "biencoder", f"backbone: '{broken}', max_length: 48, "
                              "batch_size: 16, max_steps: 1, tuned_layers: 1, eval_fraction: 0, "
                              "n_threads: 1")
    # a model of one step may call every row relevant: train says that too, on its own line
    said = [line for line in done.stderr.splitlines()
            if not line.startswith("warning: the run calls every row relevant")]
    assert said == [
        f"warning: model.params.backbone {broken} lacks 1 encoder weight(s) ({BROKEN}), which "
        "started random: a broken checkpoint? the run's models were fine-tuned from those "
        "random weights"]


@pytest.mark.parametrize("pruned", ["file", "folder"])
def test_a_state_file_pruned_under_a_running_process_is_made_again(tmp_path, pruned):
    """`shoprel cache prune --kind states` while a process holds a StateCache (a served
    bi-encoder, a long `train`): every later lookup and store failed with 'no such table:
    states' (a server answered 500 to each request with a new text until restarted)."""
    import shutil

    from shoprel.models.biencoder.state_cache import StateCache

    cache = StateCache(tmp_path / "states" / "tiny-0123456789abcdef-from1-len8.sqlite")
    cache.store({"a": torch.ones(2, 3)})
    if pruned == "file":
        cache.path.unlink()
    else:
        shutil.rmtree(cache.path.parent)
    assert cache.lookup(["a"]) == {}  # gone, not an error, and no empty file left behind
    assert not cache.path.exists()
    cache.store({"b": torch.full((2, 3), 2.0)})
    assert torch.equal(cache.lookup(["a", "b"])["b"], torch.full((2, 3), 2.0))
    # the file made again is a whole store: another process opens it as one
    assert sorted(StateCache(cache.path).lookup(["a", "b"])) == ["b"]


def test_a_fitted_model_scores_on_after_its_states_are_pruned(qc_frame, small, tmp_path):
    """The end to end of the above: a model keeps scoring, the same scores, after `cache prune`
    took the states file it was using, and the states it computes again go to a new file."""
    import shoprel

    rows = qc_frame.take(np.arange(40))
    forget()
    model = small(max_steps=2, eval_fraction=0, cache_dir=str(tmp_path)).fit(rows)
    scores = model.predict_proba(rows)
    pruned = shoprel.prune_cache(tmp_path, kinds=["states"])
    assert [entry.kind for entry in pruned.chosen] == ["states"] and pruned.freed > 0
    forget()  # nothing in memory: every text is asked of the pruned file
    np.testing.assert_allclose(model.predict_proba(rows), scores, atol=1e-6)
    assert [entry.kind for entry in shoprel.list_cache(tmp_path).entries] == ["states"]
