"""The LLM family on tiny random Gemma-3 and Qwen-2 decoders built here, with a small BPE
tokenizer learnt from the demo texts; the real Gemma-3-270M runs only in the slow test."""

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from safetensors import safe_open  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

from shoprel.data.frame import PairFrame  # noqa: E402
from shoprel.data.readers import read_pairs  # noqa: E402
from shoprel.data.tasks import Task  # noqa: E402
from shoprel.errors import ConfigError, RunDirError  # noqa: E402
from shoprel.models.base import RelevanceModel, model_class, validate_params  # noqa: E402
from shoprel.models.llm import (  # noqa: E402
    ADAPTER_FOLDER,
    LINEAR_PROJECTIONS,
    LLMClassifier,
)
from shoprel.models.llm_best import best_f1  # noqa: E402
from shoprel.models.llm_text import PairEncoder, shorten  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")
REPO = Path(__file__).resolve().parents[2]
LAYERS = 2


@functools.cache
def _trained_tokenizer():
    """A 600-piece BPE tokenizer learnt from the demo texts (all their scripts), in a second."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    from shoprel.demo import demo_file

    texts = []
    for task in ("QC", "QI"):
        df = read_pairs(demo_file(task)).df
        texts += [*df["query"], *df["target"]]
    texts += ["Query: Product: Relevant: - phone case"]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<pad>", "</s>", "<s>", "<unk>"], show_progress=False))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tokenizer.token_to_id("<s>"))])
    return tokenizer


def small_tokenizer(with_pad: bool):
    """A real subword tokenizer; without a pad token it is like most decoders."""
    from transformers import PreTrainedTokenizerFast

    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    if with_pad:
        specials["pad_token"] = "<pad>"
    return PreTrainedTokenizerFast(tokenizer_object=_trained_tokenizer(), **specials)


def tiny_decoder(folder: Path, kind: str, with_pad: bool = True) -> str:
    """A randomly initialised 2-layer decoder of the given architecture, saved with a tokenizer.

    transformers 5 loads a qwen2 folder's tokenizer as its Qwen2 class, which adds its own pad
    token: the vocabulary leaves room for such additions.
    """
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, Qwen2Config, Qwen2ForCausalLM

    tokenizer = small_tokenizer(with_pad=with_pad)
    common = {"vocab_size": len(tokenizer) + 8, "hidden_size": 16, "intermediate_size": 32,
              "num_hidden_layers": LAYERS, "num_attention_heads": 2, "num_key_value_heads": 1,
              "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id}
    torch.manual_seed(0)
    if kind == "gemma3":
        config = Gemma3TextConfig(**common, head_dim=8, sliding_window=16,
                                  pad_token_id=tokenizer.pad_token_id or 0)
        model = Gemma3ForCausalLM(config)
    else:
        model = Qwen2ForCausalLM(Qwen2Config(**common))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module", params=["gemma3", "qwen2"])
def any_backbone(request, tmp_path_factory):
    """Each architecture, for the tests of what must hold for every decoder."""
    return tiny_decoder(tmp_path_factory.mktemp(request.param) / "model", request.param)


@pytest.fixture(scope="module")
def backbone(tmp_path_factory):
    """Gemma-3 alone, for the tests of training options (keeps the file fast)."""
    return tiny_decoder(tmp_path_factory.mktemp("gemma3") / "model", "gemma3")


@pytest.fixture(scope="module")
def qc_frame():
    from shoprel.demo import demo_file

    return read_pairs(demo_file("QC"), require_label=True)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


def small(backbone, cache, **params) -> LLMClassifier:
    defaults = {"backbone": backbone, "cache_dir": cache, "max_length": 40, "batch_size": 8,
                "max_steps": 4, "save_steps": 2, "learning_rate": 1e-2, "n_threads": 1}
    return LLMClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(any_backbone, cache, qc_frame):
    return small(any_backbone, cache).fit(qc_frame.take(np.arange(48)))


def test_registered_and_params_validated():
    assert model_class("llm") is LLMClassifier
    params = validate_params("llm", {"dtype": "bf16", "max_steps": 10})
    assert params["lora_r"] == 16 and params["lora_alpha"] == 32 and params["lora_dropout"] == 0.01
    assert tuple(params["target_modules"]) == LINEAR_PROJECTIONS
    with pytest.raises(ConfigError, match="model.params.dtype"):
        validate_params("llm", {"dtype": "int3"})
    with pytest.raises(ConfigError, match="model.params.lora_rank: unknown key"):
        validate_params("llm", {"lora_rank": 8})
    with pytest.raises(ValueError, match="template"):
        LLMClassifier(template="{target} then {query}")


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


def test_training_moves_the_head_away_from_a_fresh_one(fitted, any_backbone, cache, qc_frame):
    fresh = small(any_backbone, cache, max_steps=1, learning_rate=1e-12)
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


def test_missing_pad_token_falls_back_to_eos(tmp_path):
    folder = tiny_decoder(tmp_path / "nopad", "gemma3", with_pad=False)
    assert AutoTokenizer.from_pretrained(folder).pad_token is None
    model, tokenizer = LLMClassifier(backbone=folder)._load_base(folder)
    assert tokenizer.pad_token == tokenizer.eos_token == "</s>"
    assert model.config.pad_token_id == tokenizer.eos_token_id
    assert tokenizer.padding_side == "right"


def test_query_side_uses_the_translation():
    tokenizer = small_tokenizer(with_pad=True)
    df = pd.DataFrame({"id": [1, 2], "language": ["es", "es"], "query": ["funda", "gato"],
                       "target": ["phones,cases", "pets"], "query_en": ["phone case", None]})
    frame = PairFrame(Task.QC, df)
    with_en = [tokenizer.decode(x) for x in LLMClassifier()._encode(frame, tokenizer)]
    bare = [tokenizer.decode(x) for x in
            LLMClassifier(use_translation=False)._encode(frame, tokenizer)]
    assert "funda - phone case" in with_en[0] and "phone case" not in bare[0]
    assert "gato" in with_en[1] and " - " not in with_en[1]
    assert "phones,cases" in with_en[0] and with_en[0].endswith("Relevant:")


def test_long_pairs_are_cut_longest_first_keeping_the_template():
    assert shorten([1] * 5, [2] * 50, 20) == ([1] * 5, [2] * 15)
    assert shorten([1] * 50, [2] * 3, 20) == ([1] * 17, [2] * 3)
    assert shorten([1] * 30, [2] * 30, 21) == ([1] * 11, [2] * 10)
    encoder = PairEncoder(small_tokenizer(with_pad=True), max_length=48)
    ids = encoder.encode(["a very long query " * 20], ["an even longer product title " * 20])[0]
    assert len(ids) == 48
    assert encoder.tokenizer.decode(ids).endswith("Relevant:")


def test_rerun_resumes_from_its_own_checkpoints_only(backbone, cache, qc_frame, tmp_path):
    params = {"checkpoint_dir": str(tmp_path / "ckpt"), "keep_checkpoints": True}
    rows = qc_frame.take(np.arange(32))
    first = small(backbone, cache, **params).fit(rows)
    assert first.fit_result_.resumed_from_step == 0
    again = small(backbone, cache, **params).fit(rows)
    assert again.fit_result_.resumed_from_step == 4  # nothing left to do: picks up the end
    probe = qc_frame.take(np.arange(32, 48))
    np.testing.assert_allclose(again.logits(probe), first.logits(probe), atol=1e-6)
    other = small(backbone, cache, **params).fit(qc_frame.take(np.arange(8, 40)))
    assert other.fit_result_.resumed_from_step == 0  # another fold: its own folder
    assert len(list((tmp_path / "ckpt").iterdir())) == 2


def test_start_from_a_saved_model(fitted, any_backbone, cache, qc_frame, tmp_path):
    backbone = any_backbone
    fitted.save(tmp_path / "stage0")
    rows = qc_frame.take(np.arange(48, 64))
    # a learning rate of ~0 leaves the stage-0 adapter and head as they were
    follow = small(backbone, cache, max_steps=1, learning_rate=1e-12)
    assert LLMClassifier.supports_start_from()
    follow.start_from(tmp_path / "stage0").fit(qc_frame.take(np.arange(16)))
    np.testing.assert_allclose(follow.logits(rows), fitted.logits(rows), atol=1e-5)
    with pytest.raises(RunDirError):
        small(backbone, cache).start_from(tmp_path / "nothing")
    with pytest.raises(ConfigError, match="backbone"):
        LLMClassifier(backbone="gemma3-270m").start_from(tmp_path / "stage0")


def test_keep_best_by_f1_on_a_held_out_slice(backbone, cache, qc_frame, tmp_path):
    model = small(backbone, cache, eval_fraction=0.25, eval_steps=2).fit(qc_frame.take(
        np.arange(48)))
    assert model.best_eval_["step"] in (2, 4) and 0 < model.best_eval_["f1"] <= 1
    model.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "model.json").read_text())["state"]["best_eval"]
    assert best_f1(np.array([1, 0, 1, 1]), np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx(6 / 7)


def test_bf16_and_merged_inference(backbone, cache, qc_frame, tmp_path):
    model = small(backbone, cache, dtype="bf16", max_steps=2)
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


def test_four_bit_needs_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ConfigError, match="load_in_4bit"):
        LLMClassifier(load_in_4bit=True)._four_bit()


@pytest.mark.parametrize("preset", sorted((REPO / "configs").glob("gemma3-*.yaml")),
                         ids=lambda p: p.name)
def test_presets_load(preset):
    from shoprel.training.config import load_config

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
    from shoprel.models.backbones.cache import files_sha256, read_meta

    assert g.NAME in BUILTINS
    assert g.stale_reason(tmp_path, read_meta(tmp_path)) == "not built yet"
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights")
    meta = {"build_format": g.BUILD_FORMAT, "sources": g.source_versions(),
            "weights_files": [weights.name], "weights_sha256": files_sha256([weights])}
    (tmp_path / g.META_FILE).write_text(json.dumps(meta))
    assert g.stale_reason(tmp_path, read_meta(tmp_path)) is None
    weights.write_bytes(b"changed")
    assert "SHA-256" in g.stale_reason(tmp_path, read_meta(tmp_path))
    assert g.stale_reason(tmp_path, read_meta(tmp_path), verify=False) is None
    stale = {**meta, "build_format": g.BUILD_FORMAT - 1}
    assert "version" in g.stale_reason(tmp_path, stale)
