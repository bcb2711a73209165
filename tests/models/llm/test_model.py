"""The LLM family on tiny random Gemma-3 and Qwen-2 decoders built here, with a small BPE
tokenizer learnt from the demo texts; the real Gemma-3-270M runs only in the slow test."""

import importlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from safetensors import safe_open  # noqa: E402
from tests.evaluate.markup import without_roles  # noqa: E402
from tests.models.builders import DECODER_LAYERS as LAYERS  # noqa: E402
from tests.models.builders import (  # noqa: E402
    small_tokenizer,
    tiny_decoder,
    train_demo_quietly,
    without_weights,
)
from transformers import AutoTokenizer  # noqa: E402

from shoprel.data.frame import PairFrame  # noqa: E402
from shoprel.data.tasks import Task  # noqa: E402
from shoprel.errors import ConfigError, RunDirError  # noqa: E402
from shoprel.models.base import RelevanceModel, validate_params  # noqa: E402
from shoprel.models.llm.config import LINEAR_PROJECTIONS  # noqa: E402
from shoprel.models.llm.model import ADAPTER_FOLDER, LLMClassifier  # noqa: E402
from shoprel.models.llm.prompt import PairEncoder  # noqa: E402
from shoprel.models.registry import model_class  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module", params=["gemma3", "qwen2"])
def any_backbone(request, tmp_path_factory):
    """Each architecture, for the tests of what must hold for every decoder."""
    return tiny_decoder(tmp_path_factory.mktemp(request.param) / "model", request.param)


@pytest.fixture(scope="module")
def small(small_model):
    """small(**params) -> an unfitted tiny LLM classifier (the shared model fixture; Gemma-3
    unless given another backbone)."""
    return lambda **params: small_model("llm", **params)


@pytest.fixture(scope="module")
def fitted(any_backbone, small, qc_frame):
    return small(backbone=any_backbone).fit(qc_frame.take(np.arange(48)))


def test_registered_and_params_validated():
    assert model_class("llm") is LLMClassifier
    params = validate_params("llm", {"dtype": "bf16", "max_steps": 10})
    assert params["lora_r"] == 16 and params["lora_alpha"] == 32 and params["lora_dropout"] == 0.01
    assert tuple(params["target_modules"]) == LINEAR_PROJECTIONS
    with pytest.raises(ConfigError, match="model.params.dtype"):
        validate_params("llm", {"dtype": "int3"})
    with pytest.raises(ConfigError, match="model.params.lora_rank: unknown key"):
        validate_params("llm", {"lora_rank": 8})
    with pytest.raises(ConfigError, match="model.params.template: .*{query} then {target}"):
        validate_params("llm", {"template": "{target} then {query}"})
    with pytest.raises(ConfigError, match="model.params.template"):
        LLMClassifier(template="{target} then {query}").config()


def test_lora_on_every_linear_projection_and_head_trained(fitted):
    model = fitted.model_
    wrapped = {name.removesuffix(".lora_A") for name, _ in model.named_modules()
               if name.endswith(".lora_A")}
    leaves = sorted({name.rsplit(".", 1)[-1] for name in wrapped})
    assert leaves == sorted(LINEAR_PROJECTIONS)
    assert len(wrapped) == LAYERS * len(LINEAR_PROJECTIONS)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert all("lora_" in name or ".score." in name for name in trainable)
    assert any(".score." in name for name in trainable)
    assert fitted.fit_result_.global_step == 4


def test_fit_save_load_gives_identical_logits(fitted, qc_frame, tmp_path):
    valid = qc_frame.take(np.arange(48, 80))
    before = fitted.logits(valid)
    p = fitted.predict_proba(valid)
    assert p.shape == (32, 2) and np.allclose(p.sum(axis=1), 1.0)
    fitted.save(tmp_path / "m")
    with safe_open(str(tmp_path / "m" / ADAPTER_FOLDER / "adapter_model.safetensors"), "pt") as f:
        keys = list(f.keys())
    head = [k for k in keys if ".score." in k]
    assert head, "the classification head must be saved with the adapter"
    assert sum("lora_A" in k for k in keys) == LAYERS * len(LINEAR_PROJECTIONS)
    with safe_open(str(tmp_path / "m" / ADAPTER_FOLDER / "adapter_model.safetensors"), "pt") as f:
        saved_head = f.get_tensor(head[0])
    trained_head = dict(fitted.model_.named_parameters())[
        next(n for n, p in fitted.model_.named_parameters() if p.requires_grad and ".score." in n)]
    assert torch.equal(saved_head, trained_head.detach().cpu())
    loaded = RelevanceModel.load(tmp_path / "m")
    assert isinstance(loaded, LLMClassifier) and loaded.task_ is Task.QC
    np.testing.assert_array_equal(loaded.logits(valid), before)
    config = json.loads((tmp_path / "m" / "model.json").read_text())
    assert config["family"] == "llm" and config["state"]["fingerprint"].startswith("sha256:")


def test_training_moves_the_head_away_from_a_fresh_one(fitted, any_backbone, small, qc_frame):
    fresh = small(backbone=any_backbone, max_steps=1, learning_rate=1e-12)
    fresh.fit(qc_frame.take(np.arange(48)))
    rows = qc_frame.take(np.arange(48, 64))
    assert np.abs(fresh.logits(rows) - fitted.logits(rows)).max() > 1e-3


def test_pad_token_and_batching_do_not_change_scores(fitted, qc_frame):
    tokenizer = fitted.tokenizer_
    assert tokenizer.pad_token is not None
    assert fitted.model_.config.pad_token_id == tokenizer.pad_token_id
    rows = qc_frame.take(np.arange(48, 72))
    together = fitted.logits(rows)  # one batch, padded to its longest row
    fitted.inference_batch_size = 1
    try:
        alone = fitted.logits(rows)  # no padding at all
    finally:
        fitted.inference_batch_size = 32
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_missing_pad_token_falls_back_to_eos(tmp_path, small, qc_frame):
    """On the fitted model and on it loaded again (which no Trainer has touched)."""
    folder = tiny_decoder(tmp_path / "nopad", "gemma3", with_pad=False)
    assert AutoTokenizer.from_pretrained(folder).pad_token is None
    fitted = small(backbone=folder, max_steps=1).fit(qc_frame.take(np.arange(16)))
    fitted.save(tmp_path / "m")
    for model in (fitted, RelevanceModel.load(tmp_path / "m")):
        tokenizer = model.tokenizer_
        assert tokenizer.pad_token == tokenizer.eos_token == "</s>"
        assert model.model_.config.pad_token_id == tokenizer.eos_token_id
        assert tokenizer.padding_side == "right"


def test_query_side_uses_the_translation():
    tokenizer = small_tokenizer(with_pad=True)
    df = pd.DataFrame({"id": [1, 2], "language": ["es", "es"], "query": ["funda", "gato"],
                       "target": ["phones,cases", "pets"], "query_en": ["phone case", None]})
    frame = PairFrame(Task.QC, df)
    def prompts(model):
        encoder = PairEncoder(tokenizer, model.template, model.max_length)
        return [tokenizer.decode(x) for x in encoder.encode(*model.pair_texts(frame))]

    with_en = prompts(LLMClassifier())
    bare = prompts(LLMClassifier(use_translation=False))
    assert "funda - phone case" in with_en[0] and "phone case" not in bare[0]
    assert "gato" in with_en[1] and " - " not in with_en[1]
    assert "phones,cases" in with_en[0] and with_en[0].endswith("Relevant:")


def test_rerun_resumes_from_its_own_checkpoints_only(small, qc_frame, tmp_path):
    params = {"checkpoint_dir": str(tmp_path / "ckpt"), "keep_checkpoints": True}
    rows = qc_frame.take(np.arange(32))
    first = small(**params).fit(rows)
    assert first.fit_result_.resumed_from_step == 0
    again = small(**params, inference_batch_size=4).fit(rows)  # a runtime param: same fit
    assert again.fit_result_.resumed_from_step == 4  # nothing left to do: picks up the end
    probe = qc_frame.take(np.arange(32, 48))
    np.testing.assert_allclose(again.logits(probe), first.logits(probe), atol=1e-6)
    other = small(**params).fit(qc_frame.take(np.arange(8, 40)))
    assert other.fit_result_.resumed_from_step == 0  # another fold: its own folder
    assert len(list((tmp_path / "ckpt").iterdir())) == 2


def test_start_from_a_saved_model(fitted, any_backbone, small, qc_frame, tmp_path):
    fitted.save(tmp_path / "stage0")
    rows = qc_frame.take(np.arange(48, 64))
    # a learning rate of ~0 leaves the stage-0 adapter and head as they were
    follow = small(backbone=any_backbone, max_steps=1, learning_rate=1e-12)
    assert LLMClassifier.supports_start_from()
    follow.start_from(tmp_path / "stage0").fit(qc_frame.take(np.arange(16)))
    np.testing.assert_allclose(follow.logits(rows), fitted.logits(rows), atol=1e-5)
    with pytest.raises(RunDirError):
        small(backbone=any_backbone).start_from(tmp_path / "nothing")
    # other backbone weights: refused before any training, as in every family
    other = tiny_decoder(tmp_path / "other", "qwen2" if "gemma3" in any_backbone else "gemma3")
    with pytest.raises(ConfigError, match="backbone.*start-from model"):
        small(backbone=other).start_from(tmp_path / "stage0").fit(qc_frame.take(np.arange(16)))


def test_keep_best_by_f1_on_a_held_out_slice(small, qc_frame, tmp_path):
    model = small(eval_fraction=0.25, eval_steps=2).fit(qc_frame.take(np.arange(48)))
    assert model.best_eval_["step"] in (2, 4) and 0 < model.best_eval_["f1"] <= 1
    # the run's fine-tuning record (train_stats_) names the step whose adapter was kept
    stats = model.train_stats_
    assert stats["best_step"] == model.best_eval_["step"]
    assert stats["holdout_f1_best"] == model.best_eval_["f1"]
    assert stats["holdout_rows"] == 12 and stats["rows"] == 36
    model.save(tmp_path / "m")
    state = json.loads((tmp_path / "m" / "model.json").read_text())["state"]
    assert state["best_eval"] and state["train_stats"]["best_step"] == stats["best_step"]
    loaded = RelevanceModel.load(tmp_path / "m")
    assert loaded.train_stats_ == stats and loaded.best_eval_ == model.best_eval_


def test_train_stats_survive_save_and_load(fitted, tmp_path):
    stats = fitted.train_stats_
    assert stats["global_step"] == 4 and stats["rows"] == 48 and "best_step" not in stats
    fitted.save(tmp_path / "m")
    loaded = RelevanceModel.load(tmp_path / "m")
    assert loaded.train_stats_ == stats
    assert loaded.train_stats_["missing_encoder_weights"] == []


def test_bf16_and_merged_inference(small, qc_frame, tmp_path):
    model = small(dtype="bf16", max_steps=2)
    model.fit(qc_frame.take(np.arange(16)))
    head = next(p for n, p in model.model_.named_parameters() if p.requires_grad and "score" in n)
    assert head.dtype == torch.float32  # a bf16 head would round small updates away
    rows = qc_frame.take(np.arange(16, 32))
    separate = model.logits(rows)
    model.save(tmp_path / "m")
    model.merge_for_inference = True
    merged = model.logits(rows)
    np.testing.assert_allclose(merged, separate, atol=0.05)
    loaded = RelevanceModel.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.logits(rows), separate)
    loaded.merge_for_inference = True
    np.testing.assert_array_equal(loaded.logits(rows), merged)


def test_loading_encoders_merges_the_adapter_before_the_first_batch(small, qc_frame, tmp_path):
    """With merge_for_inference the adapter was folded into the base weights by the first
    scored batch: a server's first request (5.7 s for Gemma-3-1B's layer sizes on 2 cores).
    load_encoders, which serve calls before it says it is ready, merges it; scoring then
    merges nothing again and scores as a model merged at its first batch does."""
    model = small(merge_for_inference=True, max_steps=2)
    model.fit(qc_frame.take(np.arange(16)))
    model.save(tmp_path / "m")
    rows = qc_frame.take(np.arange(16, 32))
    merged_at_first_batch = RelevanceModel.load(tmp_path / "m").logits(rows)
    loaded = RelevanceModel.load(tmp_path / "m")
    merges = []
    merge = loaded.model_.merge_adapter
    loaded.model_.merge_adapter = lambda *args, **kwargs: merges.append(1) or merge(*args,
                                                                                    **kwargs)
    loaded.load_encoders()
    assert merges == [1]
    np.testing.assert_array_equal(loaded.logits(rows), merged_at_first_batch)
    assert merges == [1]
    unmerged = small(max_steps=2).fit(qc_frame.take(np.arange(16)))
    unmerged.load_encoders()  # nothing to do without merge_for_inference
    assert not any(getattr(module, "merged", False) for module in unmerged.model_.modules())


def test_four_bit_needs_a_gpu(small, qc_frame):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ConfigError, match="^model.params.load_in_4bit: 4-bit loading needs a "
                                          "CUDA GPU$"):
        small(load_in_4bit=True).fit(qc_frame.take(np.arange(16)))


@pytest.mark.parametrize("preset", sorted((REPO / "configs").glob("gemma3-*.yaml")),
                         ids=lambda p: p.name)
def test_presets_load(preset):
    from shoprel.training.config_reading import load_config

    config = load_config(preset)
    assert config.model.family == "llm"
    assert config.model.params["lora_r"] == 16


def test_every_preset_is_tested():
    names = {p.name for p in (REPO / "configs").glob("gemma3-*.yaml")}
    assert {"gemma3-270m-lora.yaml", "gemma3-12b-lora-qc.yaml", "gemma3-12b-lora-qi.yaml"} <= names


@pytest.mark.slow
def test_real_gemma3_270m_trains_and_reloads(qc_frame, tmp_path):
    from shoprel.models.backbones import resolve_backbone

    backbone = resolve_backbone("gemma3-270m")
    assert backbone.fingerprint.startswith("sha256:")
    model = LLMClassifier(backbone="gemma3-270m", max_length=48, batch_size=4, max_steps=2,
                          n_threads=2).fit(qc_frame.take(np.arange(16)))
    assert type(model.model_.base_model.model).__name__ == "Gemma3TextForSequenceClassification"
    rows = qc_frame.take(np.arange(16, 24))
    before = model.logits(rows)
    model.save(tmp_path / "m")
    size = (tmp_path / "m" / ADAPTER_FOLDER / "adapter_model.safetensors").stat().st_size
    assert size < 30e6  # adapter and head only, not the 1 GB base
    np.testing.assert_array_equal(RelevanceModel.load(tmp_path / "m").logits(rows), before)


def test_gemma3_270m_cache_record_is_checked(tmp_path):
    from shoprel.models.backbones import BUILTINS
    from shoprel.models.backbones import gemma3_270m as g
    from shoprel.models.backbones.cache import META_FILE, files_sha256, read_meta

    assert g.NAME in BUILTINS
    assert g.stale_reason(tmp_path, read_meta(tmp_path)) == "not built yet"
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights")
    meta = {"build_format": g.BUILD_FORMAT, "sources": g.source_versions(),
            "weights_files": [weights.name], "weights_sha256": files_sha256([weights])}
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    assert g.stale_reason(tmp_path, read_meta(tmp_path)) is None
    weights.write_bytes(b"changed")
    assert "SHA-256" in g.stale_reason(tmp_path, read_meta(tmp_path))
    assert g.stale_reason(tmp_path, read_meta(tmp_path), verify=False) is None
    stale = {**meta, "build_format": g.BUILD_FORMAT - 1}
    assert "version" in g.stale_reason(tmp_path, stale)



class _ConversionDrawn(Exception):
    pass


@pytest.mark.parametrize("show_progress", [False, True])
def test_gemma3_270m_build_draws_no_gguf_conversion_bar_unless_asked_on_a_terminal(
        show_progress, tmp_path, monkeypatch, capsys):
    """transformers draws 'Converting and de-quantizing GGUF tensors' with tqdm itself: it
    showed under --quiet (and in logs) on the first build. A stand-in loader draws as the
    real one does, then stops the build."""
    import transformers

    from shoprel.models.backbones import gemma3_270m as g

    conversion = importlib.import_module("transformers.modeling_gguf_pytorch_utils")

    def load(*args, **kwargs):
        for _ in conversion.tqdm(range(3), desc="Converting and de-quantizing GGUF tensors..."):
            pass
        raise _ConversionDrawn

    monkeypatch.setattr(g, "assemble_gguf", lambda scratch: scratch / "model.gguf")
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", load)
    monkeypatch.setattr(g, "is_terminal", lambda stream: True)  # as on a terminal
    drawn = conversion.tqdm
    with pytest.raises(_ConversionDrawn):
        g.build(tmp_path / "gemma", show_progress=show_progress)
    assert conversion.tqdm is drawn  # put back
    assert ("Converting and de-quantizing" in capsys.readouterr().err) is show_progress

def test_the_new_head_is_no_load_report_and_missing_decoder_weights_are_kept(
        small, tiny_gemma, qc_frame, tmp_path, capfd, transformers_log):
    """Every fit printed transformers' LOAD REPORT for the new head's `score.weight`, progress
    or not, and reloading a saved model drew a "Loading weights" bar even without progress;
    both are silent now (the bar stays for a fit with progress on), and weights missing from
    the decoder itself (a broken checkpoint) are recorded for `shoprel train` to warn."""
    rows = qc_frame.take(np.arange(16))
    model = small(max_steps=1, checkpoint_dir=str(tmp_path / "c1")).fit(rows)
    assert "LOAD REPORT" not in transformers_log.getvalue()
    model.save(tmp_path / "m")
    capfd.readouterr()
    RelevanceModel.load(tmp_path / "m")
    assert "Loading weights" not in capfd.readouterr().err
    assert model.train_stats_["missing_encoder_weights"] == []
    assert model.train_stats_["global_step"] == 1 and model.train_stats_["rows"] == 16

    broken = without_weights(Path(tiny_gemma), tmp_path / "broken",
                             ["model.layers.0.self_attn.q_proj.weight"])
    model = small(backbone=str(broken), max_steps=1, progress=True,
                  checkpoint_dir=str(tmp_path / "c2")).fit(rows)
    assert "Loading weights" in capfd.readouterr().err  # progress on: the bar is kept
    assert model.train_stats_["missing_encoder_weights"] == [
        "model.layers.0.self_attn.q_proj.weight"]
    assert "LOAD REPORT" not in transformers_log.getvalue()
    assert "MISSING" not in transformers_log.getvalue()


def test_train_warns_in_one_line_of_a_decoder_missing_weights(tiny_gemma, tmp_path):
    """A broken decoder's missing weights started random in every fit without a word;
    `shoprel train` says so once, even under --quiet, and the report's fine-tuning table
    shows the LLM's fits."""


    broken = without_weights(Path(tiny_gemma), tmp_path / "broken",
                             ["model.layers.0.self_attn.q_proj.weight"])
    done = train_demo_quietly(tmp_path, "llm", f"backbone: '{broken}', max_length: 40, "
                              "batch_size: 8, max_steps: 1, n_threads: 1")
    assert done.stderr.splitlines() == [
        f"warning: model.params.backbone {broken} lacks 1 decoder weight(s) "
        "(model.layers.0.self_attn.q_proj.weight), which started random: a broken "
        "checkpoint? the run's models were fine-tuned from those random weights"]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert [(f["fit"], f["global_step"]) for f in metrics["fine_tuning"]] == [
        ("fold 0", 1), ("fold 1", 1), ("final", 1)]
    report = without_roles((tmp_path / "run" / "report.html").read_text())
    section = report[report.index('<section id="fine-tuning">'):]
    section = section[:section.index("</section>")]
    assert "<th>fold 0</th>" in section and "<th>steps</th>" in section
    assert "schedule" in section and "no held-out scores" in section


def test_adapters_build_and_load_without_the_libraries_deprecation_warning(
        small, qc_frame, tmp_path):
    """peft reads transformers' deprecated `is_gradient_checkpointing`: its FutureWarning was
    printed on every fit and load, even under --quiet."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model = small().fit(qc_frame.take(np.arange(16)))
        model.save(tmp_path / "m")
        RelevanceModel.load(tmp_path / "m")
    assert not [w for w in seen if "is_gradient_checkpointing" in str(w.message)]
