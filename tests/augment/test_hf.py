"""hf backend on a tiny randomly initialised M2M100 with a real (tiny) M2M100 tokenizer.

The model translates nothing well; the test runs the real path: save a folder, load it by
path, set the source language, force the target language token, generate, decode.
"""

from __future__ import annotations

import json
import os
import re

import pytest

torch = pytest.importorskip("torch", reason="the hf backend needs torch (pip install torch)")
transformers = pytest.importorskip("transformers", reason="the hf backend needs transformers")
spm = pytest.importorskip("sentencepiece", reason="the M2M100 tokenizer needs sentencepiece")

SENTENCES = ["funda para iphone", "zapatos de mujer", "phone case", "women shoes",
             "coque de téléphone", "montre bracelet", "capa celular", "reloj inteligente"]


@pytest.fixture(scope="module")
def tiny_m2m100(tmp_path_factory):
    """One thread for this module's tests and the processes they start, given back after
    them: a test worker (pytest-xdist) ran every later file on one torch thread."""
    before = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        if "OMP_NUM_THREADS" not in os.environ:
            mp.setenv("OMP_NUM_THREADS", "1")
        torch.set_num_threads(1)
        try:
            yield built_m2m100(tmp_path_factory)
        finally:
            torch.set_num_threads(before)


def built_m2m100(tmp_path_factory):
    root = tmp_path_factory.mktemp("m2m100")
    (root / "corpus.txt").write_text("\n".join(SENTENCES * 20), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(root / "corpus.txt"), model_prefix=str(root / "spm"), vocab_size=40,
        hard_vocab_limit=False, character_coverage=1.0, bos_id=0, pad_id=1, eos_id=2, unk_id=3,
        minloglevel=2)
    pieces = spm.SentencePieceProcessor(model_file=str(root / "spm.model"))
    vocab = {pieces.id_to_piece(i): i for i in range(pieces.get_piece_size())}
    (root / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = transformers.M2M100Tokenizer(str(root / "vocab.json"), str(root / "spm.model"))
    folder = root / "model"
    tokenizer.save_pretrained(folder)
    config = transformers.M2M100Config(
        vocab_size=max(tokenizer.lang_code_to_id.values()) + 1 + tokenizer.num_madeup_words,
        d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    transformers.M2M100ForConditionalGeneration(config).save_pretrained(folder)
    return folder


def test_tiny_m2m100_generates_through_the_real_path(tiny_m2m100):
    from shoprel.augment.hf import HFTranslator

    translator = HFTranslator(tiny_m2m100, max_new_tokens=6, batch_size=2)
    assert translator.family == "m2m100"
    texts = ["funda para iphone", "coque de téléphone", "women shoes", "zapatos", "ドリル"]
    out = translator.translate(texts, ["es", "fr", "en", "es", "xx"], "en")
    assert out[2] == "women shoes"  # already English: passed through
    assert out[4] is None  # a language the model does not know
    assert all(isinstance(o, str) and "__" not in o for o in out[:2] + out[3:4])
    again = translator.translate(texts[:2], ["es", "fr"], "en")
    assert again == out[:2]  # greedy decoding is deterministic
    beams = HFTranslator(tiny_m2m100, max_new_tokens=6, num_beams=2, dtype="bfloat16")
    assert beams.net.dtype == torch.bfloat16
    assert all(isinstance(o, str) for o in beams.translate(texts[:2], ["es", "fr"], "en"))
    assert beams.model.endswith("beams=2")
    assert beams.translate(texts[:1], ["es"], "zz") == [None]  # unknown target


def test_missing_model_folder_is_a_clear_error(tmp_path):
    from shoprel.augment.hf import HFTranslator
    from shoprel.augment.translator import TranslationError

    with pytest.raises(TranslationError, match="cannot load translation model"):
        HFTranslator(tmp_path / "nowhere")
    # given as text (--model, a config), a missing folder was called a malformed hub id
    with pytest.raises(TranslationError) as err:
        HFTranslator(str(tmp_path / "nowhere"))
    assert str(err.value) == f"cannot load translation model {tmp_path / 'nowhere'}: no such folder"


@pytest.mark.parametrize("config", [None, '{"model_type": "marian"}'])
def test_a_folder_that_is_not_a_translation_model_is_one_clear_error(tmp_path, config):
    """An empty folder, or a config with no weights nor tokenizer: one line, not transformers'
    traceback."""
    from shoprel.augment.hf import HFTranslator
    from shoprel.augment.translator import TranslationError

    folder = tmp_path / "model"
    folder.mkdir()
    if config:
        (folder / "config.json").write_text(config)
    with pytest.raises(TranslationError, match=r"cannot load translation model .*\(a folder "
                                               "holding a seq2seq model") as err:
        HFTranslator(folder)
    assert "\n" not in str(err.value)
    assert re.search(r"a hub id\): [A-Z]\w*Error: ", str(err.value))  # what it raised


def test_empty_queries_and_unknown_languages_are_never_sent(tiny_m2m100):
    """A model writes something for any input: an empty query got a hallucination, and a
    model naming no sources (Marian, single-pair) translated rows tagged 'klingon' or 'unk'."""
    from shoprel.augment.hf import HFTranslator

    translator = HFTranslator(tiny_m2m100, max_new_tokens=4, family="plain",
                              source_languages=["es", "klingon", "unk"])
    out = translator.translate(["zapatos", "zapatos", "  ", "zapatos"],
                               ["klingon", "unk", "es", "es"], "en")
    assert out[:3] == [None, None, ""]
    assert isinstance(out[3], str)


def test_the_cache_key_follows_the_model_folder_contents(tiny_m2m100, monkeypatch):
    """Keyed on --model as typed, a model replaced at the same path served the old one's
    cached translations, and one folder typed two ways had two keys."""
    from shoprel.augment.hf import model_identity

    key = model_identity(tiny_m2m100)
    monkeypatch.chdir(tiny_m2m100.parent)
    assert model_identity(tiny_m2m100.name) == key
    weights = next(p for p in tiny_m2m100.iterdir() if p.suffix == ".safetensors")
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert model_identity(tiny_m2m100) != key
    assert model_identity("no-such/model-id") == "no-such/model-id"


def test_a_device_torch_cannot_use_is_one_line(tiny_m2m100):
    from shoprel.augment.hf import HFTranslator
    from shoprel.augment.translator import TranslationError

    with pytest.raises(TranslationError, match=r"^--device 'bogus': cannot use it \(") as err:
        HFTranslator(tiny_m2m100, device="bogus")
    assert "\n" not in str(err.value)


def test_translate_quiet_shows_no_loading_bar(tiny_m2m100, tmp_path):
    """transformers drew its 'Loading weights' bar under --quiet (it is imported, and draws,
    inside the command)."""
    import subprocess
    import sys

    data = tmp_path / "q.jsonl"
    data.write_text("".join(json.dumps({"id": i, "language": "es", "origin_query": s,
                                        "category_path": "a"}) + "\n"
                            for i, s in enumerate(SENTENCES)))
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS")}

    def translate(*extra):
        done = subprocess.run([sys.executable, "-m", "shoprel", "translate", str(data),
                               "--backend", "hf", "--model", str(tiny_m2m100), "--overwrite",
                               "--out", str(tmp_path / "o.jsonl"), *extra],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stderr

    # stderr a pipe: transformers' bar is off without --quiet too (it drew tqdm's full bar
    # into logs; on a terminal it still draws)
    assert "Loading weights" not in translate()
    assert translate("--quiet") == ""


def test_a_slow_backend_shows_progress_from_a_few_dozen_texts(tiny_m2m100, tmp_path, capsys):
    """hf on CPU: 1,500 texts (below the 2,000 of a fast backend) took minutes with no bar."""
    from shoprel.augment.backends import make_translator

    texts = [f"{s} {i}" for i in range(5) for s in SENTENCES][:40]
    for cache in (None, tmp_path / "tr.sqlite"):
        translator = make_translator("hf", model=tiny_m2m100, cache=cache, max_new_tokens=4)
        assert translator.batch_size == 32
        translator.translate(texts, ["es"] * len(texts), "en")
        assert "translate→en: 40/40 [" in capsys.readouterr().err


def test_a_model_folder_under_the_home_folder_is_found_by_tilde(tiny_m2m100, monkeypatch):
    """`model: ~/models/m2m` (a config's data.translator or augment block, which no shell
    expands) was read as a hub id and refused: 'cannot load translation model ~/model'."""
    from shoprel.augment.backends import make_translator

    monkeypatch.setenv("HOME", str(tiny_m2m100.parent))
    translator = make_translator("hf", model=f"~/{tiny_m2m100.name}", progress=False,
                                 max_new_tokens=4)
    assert translator.family == "m2m100"
    assert translator.translate(["women shoes"], ["en"], "en") == ["women shoes"]


def test_translate_says_how_many_queries_were_cut_to_the_models_input(tiny_m2m100, tmp_path):
    """Queries past the model's 256 input tokens were cut without a word; the count is now
    the last line (stderr), cached translations counted too, and --quiet silences it."""
    from click.testing import CliRunner

    from shoprel.augment.hf import HFTranslator
    from shoprel.cli.augment import translate

    long_es, long_en = " ".join(["zapatos de mujer"] * 100), " ".join(["women shoes"] * 150)
    rows = [("es", long_es), ("es", "funda para iphone"), ("fr", long_es), ("en", long_en),
            ("es", long_es)]
    data = tmp_path / "q.jsonl"
    data.write_text("".join(json.dumps({"id": i, "language": lang, "origin_query": q,
                                        "category_path": "a"}) + "\n"
                            for i, (lang, q) in enumerate(rows)), encoding="utf-8")
    translator = HFTranslator(tiny_m2m100)
    assert len(translator.tokenizer(long_es)["input_ids"]) > 256
    assert translator.count_cut([long_es, "zapatos", long_es], "en") == 2

    def run(*extra):
        result = CliRunner().invoke(translate, [str(data), "--backend", "hf", "--model",
                                                str(tiny_m2m100), "--out",
                                                str(tmp_path / "o.jsonl"), "--overwrite",
                                                "--cache", str(tmp_path / "c.sqlite"), *extra])
        assert result.exit_code == 0, result.output
        return result

    # the English one is passed through whole: not cut, not counted
    note = ("note: 3 queries were longer than the model's 256 tokens and were cut (only "
            "their start was translated)")
    first = run()
    assert first.stderr.splitlines()[-1] == note and note not in first.stdout
    assert run().stderr.splitlines()[-1] == note  # all from the cache this time
    assert "note:" not in run("--quiet").stderr
