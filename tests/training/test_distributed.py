"""Real 2-process data-parallel training on CPU (torchrun, gloo) of `shoprel train`.

A launcher (written below) runs the ordinary CLI under torchrun and, on every rank, records a
SHA-256 of the weight files each saved model writes. Rank 1 writes into a throwaway folder, so
its digests are the only trace of what it trained; rank 0's must equal both rank 1's and the
files that ended up in the run directory. Each rank taking half the optimizer steps of a
one-process fit shows the data really was split between them (DistributedSampler), so equal
weights mean the gradients were synchronised, not that both ranks did the same work.
"""

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import UNRENDERED

from shoprel.data.readers import read_pairs
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, FOLDS, MANIFEST, METRICS, MODELS, OOF, REPORT

pytest.importorskip("torch")

LAUNCHER = '''
import hashlib, json, os
from pathlib import Path

from shoprel.models.base import RelevanceModel

_save = RelevanceModel.save


def save(self, folder):
    out = Path(_save(self, folder))
    # transformers writes weight files on rank 0 only: digest the weights in memory instead
    state = self.model_.state_dict()
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    record = {"sha256": digest.hexdigest(), "tensors": len(state),
              "train_stats": self.train_stats_, "world_size": os.environ.get("WORLD_SIZE")}
    name = f"rank{os.environ['RANK']}-{out.name}.json"
    (Path(os.environ["SHOPREL_TEST_DIGESTS"]) / name).write_text(json.dumps(record))
    return out


RelevanceModel.save = save

import shoprel.training.pretrain as pretrain_module

_loss = pretrain_module.masked_lm_loss


def loss(model, *args, **kwargs):
    # called before and after training on every rank: digest the encoder each time
    state = model.base_model.state_dict()
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    path = Path(os.environ["SHOPREL_TEST_DIGESTS"]) / f"rank{os.environ['RANK']}-mlm.json"
    calls = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*calls, digest.hexdigest()]))
    return _loss(model, *args, **kwargs)


pretrain_module.masked_lm_loss = loss

import shoprel.evaluate.report.document as document

# the run's report.html is only checked to be there: its charts are seconds no test reads
document.run_report_html = lambda run_dir, metrics, oof: UNRENDERED

from shoprel.cli import main
from shoprel.cli.pretrain import pretrain

if "pretrain" not in main.commands:
    main.add_command(pretrain)
main()
'''

BATCH = 4

# one optimizer step of pretrain's masked-LM trainer over the same 8 masked texts, whatever the
# number of processes (per-process batch 8 / WORLD_SIZE): every rank records the gradients the
# optimizer is about to apply, and the loss and pre-clipping gradient norm the Trainer logs
GRADIENTS = '''
import json, os, sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import (DataCollatorForLanguageModeling, Trainer, TrainerCallback,
                          TrainingArguments, default_data_collator, set_seed)

from shoprel.models.backbones import resolve_backbone
from shoprel.training.masked_tokens import masked_lm_trainer
from shoprel.training.pretrain import mlm_model

backbone, texts, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
set_seed(0)  # the new masked-LM head's weights, as pretrain seeds them
model, tokenizer, _, _ = mlm_model(resolve_backbone(backbone))
for module in model.modules():  # the same forward however the rows are split
    if isinstance(module, torch.nn.Dropout):
        module.p = 0.0
encoded = tokenizer(texts, truncation=True, max_length=32, return_special_tokens_mask=True)
batch = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.3, seed=7)(
    [{"input_ids": ids, "special_tokens_mask": special} for ids, special
     in zip(encoded["input_ids"], encoded["special_tokens_mask"], strict=True)])
rows = [{name: values[i] for name, values in batch.items()} for i in range(len(texts))]


class Kept(TrainerCallback):
    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        save_file({name: p.grad.detach().contiguous() for name, p in model.named_parameters()
                   if p.grad is not None}, str(out / f"world{world}-rank{rank}.safetensors"))


arguments = TrainingArguments(
    output_dir=str(out / f"scratch{world}-{rank}"), report_to=[], use_cpu=True,
    save_strategy="no", per_device_train_batch_size=len(texts) // world, max_steps=1,
    max_grad_norm=0.0, logging_steps=1, disable_tqdm=True)
trainer = masked_lm_trainer(Trainer)(model=model, args=arguments, train_dataset=rows,
                                     data_collator=default_data_collator, callbacks=[Kept()])
trainer.train()
logged = next(entry for entry in trainer.state.log_history if "grad_norm" in entry)
masked = [int((row["labels"] != -100).sum()) for row in rows]
(out / f"world{world}-rank{rank}.json").write_text(json.dumps({**logged, "masked": masked}))
'''


# one optimizer step of the cross/llm classifiers' trainer (models/hf/trainer.py) over the same
# 8 pairs, without and with class weights, whatever the number of processes (per-process batch
# 8 / WORLD_SIZE, rows in order): every rank records the gradients the optimizer is about to
# apply, and the loss and pre-clipping gradient norm the Trainer logs
CLASSIFIER_GRADIENTS = '''
import dataclasses, json, os, sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import (AutoModelForSequenceClassification, AutoTokenizer,
                          DataCollatorWithPadding, TrainerCallback)

from shoprel.models.hf import trainer as hft
from shoprel.models.hf.config import TrainingArguments

backbone, pairs, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
tokenizer = AutoTokenizer.from_pretrained(backbone)
torch.manual_seed(0)  # the new head's weights
model = AutoModelForSequenceClassification.from_pretrained(backbone, num_labels=2)
for module in model.modules():  # the same forward however the rows are split
    if isinstance(module, torch.nn.Dropout):
        module.p = 0.0
start = {name: value.clone() for name, value in model.state_dict().items()}
dataset = hft.PairDataset(tokenizer, pairs["query"], pairs["target"], pairs["label"], 48)

for name, weights in (("plain", None), ("weighted", pairs["weights"])):
    tag = f"{name}-world{world}-rank{rank}"

    class Kept(TrainerCallback):
        def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
            save_file({name: p.grad.detach().contiguous() for name, p in model.named_parameters()
                       if p.grad is not None}, str(out / f"{tag}.safetensors"))

    model.load_state_dict(start)
    params = TrainingArguments(batch_size=len(dataset) // world, max_steps=1)
    arguments = dataclasses.replace(
        hft.training_arguments(params, out / f"scratch-{tag}"), save_strategy="no",
        max_grad_norm=0.0, logging_steps=1, train_sampling_strategy="sequential", use_cpu=True)
    trainer = hft.weighted_trainer_class()(
        model=model, args=arguments, train_dataset=dataset,
        data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
        class_weights=weights, callbacks=[Kept()])
    trainer.train()
    logged = next(entry for entry in trainer.state.log_history if "grad_norm" in entry)
    (out / f"{tag}.json").write_text(json.dumps(logged))
'''

def saved_weights_digest(folder: Path) -> tuple[str, int]:
    """The launcher's digest, computed from a saved model's safetensors files."""
    from safetensors.numpy import load_file

    tensors = {}
    for path in folder.rglob("*.safetensors"):
        tensors.update(load_file(str(path)))
    digest = hashlib.sha256()
    for name in sorted(tensors):
        digest.update(name.encode())
        digest.update(tensors[name].tobytes())
    return digest.hexdigest(), len(tensors)


def torchrun(tmp_path: Path, args: list[str], digests: Path, nproc: int = 2,
             script: str = LAUNCHER, launcher_args: tuple[str, ...] = ()):
    launcher = tmp_path / "launch_shoprel.py"
    launcher.write_text(f"UNRENDERED = {UNRENDERED!r}\n" + script)
    digests.mkdir()
    env = {**os.environ, "SHOPREL_TEST_DIGESTS": str(digests), "OMP_NUM_THREADS": "1",
           "SHOPREL_CACHE": str(tmp_path / "cache"),  # fits' checkpoints go here
           "TOKENIZERS_PARALLELISM": "false", "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", str(nproc), *launcher_args, str(launcher), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)


def first_rows(source: Path, target: Path, jsonl, n: int = 60) -> Path:
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()][:n]
    return jsonl(target, rows)


@pytest.fixture
def small_qc(tmp_path, qc_demo, jsonl):
    return first_rows(qc_demo, tmp_path / "train_QC.jsonl", jsonl)


@pytest.fixture
def small_qi(tmp_path, qi_demo, jsonl):
    return first_rows(qi_demo, tmp_path / "train_QI.jsonl", jsonl)


@pytest.fixture
def cross_config(tmp_path, small_qc, small_qi, tiny_backbone):
    texts = []
    for path in (small_qc, small_qi):
        frame = read_pairs(path)
        texts += frame.df["query"].tolist() + frame.df["target"].tolist()
    backbone = tiny_backbone(tmp_path / "tiny_bert", texts)
    config = {"folds": {"k": 2, "seed": 1}, "stage0": {"data": str(small_qi)},
              "model": {"family": "cross", "params": {
                  "backbone": str(backbone), "batch_size": BATCH, "epochs": 1.0,
                  "learning_rate": 1e-3, "max_length": 48, "n_threads": 1,
                  "freeze_word_embeddings": False}}}
    path = tmp_path / "cross.yaml"
    path.write_text(json.dumps(config))
    return path


def test_two_process_training_syncs_weights_and_writes_the_run_once(tmp_path, small_qc,
                                                                    cross_config):
    out = tmp_path / "runs" / "ddp"
    digests = tmp_path / "digests"
    done = torchrun(tmp_path, ["train", str(small_qc), "--out", str(out), "--config",
                               str(cross_config), "--quiet"], digests)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    # written once, complete, nothing stray beside it
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["ddp"]
    run = Run.open(out)
    for name in (MANIFEST, CONFIG, FOLDS, OOF, METRICS, REPORT):
        assert (out / name).is_file(), name
    assert (out / REPORT).read_text(encoding="utf-8") == UNRENDERED  # rank 0's, once
    models = sorted(p.name for p in (out / MODELS).iterdir())
    assert models == ["fold_0", "fold_1", "full", "stage0"]
    assert run.metrics()["distributed"] == {"world_size": 2}
    assert run.metrics()["stage0"]["task"] == "QI" and run.metrics()["stage0"]["train_rows"] == 60
    # both ranks print the same result (rank 0's, broadcast once the run was in place)
    assert done.stdout.count("run written to") == 2

    folds = run.oof()["fold"].to_numpy()
    for name in models:
        rank0 = json.loads((digests / f"rank0-{name}.json").read_text())
        rank1 = json.loads((digests / f"rank1-{name}.json").read_text())
        assert rank0["tensors"] > 10 and rank0["world_size"] == "2"
        assert rank0["sha256"] == rank1["sha256"], name  # identical weights on both ranks
        # ... and they are what the run directory kept
        assert saved_weights_digest(out / MODELS / name) == (rank0["sha256"],
                                                                  rank0["tensors"])
        rows = (len(folds) if name in ("full", "stage0")
                else int((folds != int(name[-1])).sum()))
        one_process_steps = math.ceil(rows / BATCH)
        per_rank_steps = math.ceil(math.ceil(rows / 2) / BATCH)
        assert per_rank_steps < one_process_steps
        assert rank0["train_stats"]["global_step"] == per_rank_steps, (name, rows)
        assert rank1["train_stats"]["global_step"] == per_rank_steps


def test_existing_run_is_refused_on_every_rank(tmp_path, small_qc):
    out = tmp_path / "taken"
    out.mkdir()
    # torchrun ends the other ranks once one has failed, at its next look (every 0.1 s by
    # default): on a loaded machine the second rank was ended before it said anything (one
    # line of two, under two test workers); looking every 10 s lets each rank get there
    done = torchrun(tmp_path, ["train", str(small_qc), "--out", str(out), "--folds", "2",
                               "--quiet"], tmp_path / "digests",
                    launcher_args=("--monitor-interval", "10"))
    assert done.returncode != 0
    assert done.stderr.count("already exists") >= 2  # each rank says why, none hangs
    assert list(out.iterdir()) == [] and not list((tmp_path / "digests").iterdir())


@pytest.mark.slow  # two processes start torch: about a minute here
def test_two_process_masked_lm_pretraining(tmp_path, small_qc, small_qi, tiny_backbone):
    texts = []
    for path in (small_qc, small_qi):
        frame = read_pairs(path)
        texts += frame.df["query"].tolist() + frame.df["target"].tolist()
    backbone = tiny_backbone(tmp_path / "tiny_bert", texts)
    out, digests = tmp_path / "out" / "mlm", tmp_path / "digests"
    done = torchrun(tmp_path, ["pretrain", str(small_qc), str(small_qi), "--backbone",
                               str(backbone), "--out", str(out), "--epochs", "1",
                               "--batch-size", str(BATCH), "--learning-rate", "1e-3",
                               "--threads", "1", "--quiet"], digests)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mlm"]
    meta = json.loads((out / "shoprel-backbone.json").read_text())["masked_lm"]
    n_texts = meta["queries"] + meta["targets"]
    assert meta["steps"] == math.ceil(math.ceil(n_texts / 2) / BATCH)  # each rank: half the texts
    rank0 = json.loads((digests / "rank0-mlm.json").read_text())
    rank1 = json.loads((digests / "rank1-mlm.json").read_text())
    assert len(rank0) == len(rank1) == 2 and rank0[0] != rank0[1]  # before and after training
    assert rank0[1] == rank1[1]  # identical encoder weights on both ranks after training
    assert saved_weights_digest(out)[0] == rank0[1]  # and that is what was written
    assert done.stdout.count("backbone written to") == 2


@pytest.mark.slow  # two processes start torch, then one: about a minute here
def test_two_process_masked_lm_step_has_the_gradients_of_one_process(tmp_path, small_qc,
                                                                     tiny_backbone):
    """Trainer takes a model whose forward has **kwargs (BERT's) to divide its summed loss by
    the masked tokens of every rank's batch, so it multiplied the loss by the number of
    processes: BERT's loss is a per-rank mean, and 2 processes stepped (and clipped) with
    about twice the gradients of one process over the same 8 texts. They are now equal."""
    import torch
    from safetensors.torch import load_file

    frame = read_pairs(small_qc)
    texts = list(dict.fromkeys(frame.df["query"].tolist() + frame.df["target"].tolist()))
    backbone = tiny_backbone(tmp_path / "tiny_bert", texts)
    chosen = json.dumps(texts[:8])
    out = tmp_path / "digests"
    done = torchrun(tmp_path, [str(backbone), chosen, str(out)], out, script=GRADIENTS)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    single = subprocess.run([sys.executable, str(tmp_path / "launch_shoprel.py"), str(backbone),
                             chosen, str(out)], env=env, capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    assert single.returncode == 0, single.stdout[-3000:] + single.stderr[-3000:]

    one = json.loads((out / "world1-rank0.json").read_text())
    assert sum(one["masked"]) > 0
    assert len(set(one["masked"])) > 1  # rows, so ranks, weigh unlike in a mean of means
    expected = load_file(str(out / "world1-rank0.safetensors"))
    assert len(expected) > 10
    for rank in (0, 1):
        logged = json.loads((out / f"world2-rank{rank}.json").read_text())
        assert logged["grad_norm"] == pytest.approx(one["grad_norm"], rel=1e-5), rank
        assert logged["loss"] == pytest.approx(one["loss"], rel=1e-5), rank  # the ranks' mean
        gradients = load_file(str(out / f"world2-rank{rank}.safetensors"))
        assert gradients.keys() == expected.keys()
        for name, grad in expected.items():
            assert grad.abs().max() > 0, name
            torch.testing.assert_close(gradients[name], grad, rtol=1e-4, atol=1e-7,
                                       msg=f"rank {rank}: {name}")


@pytest.mark.slow  # two processes start torch, then one: about a minute here
def test_two_process_classifier_step_has_the_gradients_of_one_process(tmp_path, small_qc,
                                                                      cross_config):
    """The cross and llm families' trainer: Trainer takes a sequence classifier whose forward
    has **kwargs (BERT's, Gemma's, Qwen's) to divide its summed loss by every rank's rows, so it
    multiplied the model's per-rank mean by the number of processes, and 2 processes stepped
    (and clipped) with twice the gradients of one over the same 8 pairs. With class weights
    each rank's weighted mean counted alike, whatever its rows weighed. Both now equal one
    process's: the 8 pairs' (weighted) mean."""
    import torch
    from safetensors.torch import load_file

    from shoprel.models.hf.trainer import balanced_class_weights

    frame = read_pairs(small_qc, require_label=True)
    labels = frame.labels
    positive, negative = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    # positives at 0 and 2: the ranks' halves (alternate rows or the first and last 4) weigh
    # unlike, with the balanced weights of a fit set of 1 positive in 6 (0.6, 3.0)
    order = [positive[0], negative[0], positive[1], *negative[1:6]]
    chosen = frame.df.iloc[order]
    pairs = json.dumps({"query": chosen["query"].tolist(), "target": chosen["target"].tolist(),
                        "label": labels[order].tolist(),
                        "weights": balanced_class_weights(np.array([1, 0, 0, 0, 0, 0])).tolist()})
    backbone = json.loads(cross_config.read_text())["model"]["params"]["backbone"]
    out = tmp_path / "digests"
    done = torchrun(tmp_path, [backbone, pairs, str(out)], out, script=CLASSIFIER_GRADIENTS)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    single = subprocess.run([sys.executable, str(tmp_path / "launch_shoprel.py"), backbone,
                             pairs, str(out)], env=env, capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    assert single.returncode == 0, single.stdout[-3000:] + single.stderr[-3000:]

    for name in ("plain", "weighted"):
        one = json.loads((out / f"{name}-world1-rank0.json").read_text())
        expected = load_file(str(out / f"{name}-world1-rank0.safetensors"))
        assert len(expected) > 10
        for rank in (0, 1):
            logged = json.loads((out / f"{name}-world2-rank{rank}.json").read_text())
            assert logged["grad_norm"] == pytest.approx(one["grad_norm"], rel=1e-5), (name, rank)
            assert logged["loss"] == pytest.approx(one["loss"], rel=1e-5), (name, rank)
            gradients = load_file(str(out / f"{name}-world2-rank{rank}.safetensors"))
            assert gradients.keys() == expected.keys()
            for key, grad in expected.items():
                # key biases' gradients are 0 in exact arithmetic (softmax ignores them)
                assert grad.abs().max() > 0 or "key.bias" in key, key
                torch.testing.assert_close(gradients[key], grad, rtol=1e-4, atol=1e-7,
                                           msg=f"{name}, rank {rank}: {key}")

@pytest.mark.parametrize("name, kind", [("ddp", "MULTI_GPU"), ("fsdp", "FSDP"),
                                        ("zero2", "DEEPSPEED"), ("zero3", "DEEPSPEED")])
def test_accelerate_configs_load(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    path = Path(__file__).resolve().parents[2] / "configs" / "accelerate" / f"{name}.yaml"
    config = load_config_from_file(str(path))
    assert config.distributed_type.value == kind
    if name == "zero2":  # the winners' setup: ZeRO-2, optimizer state in CPU memory
        assert config.deepspeed_config["zero_stage"] == 2
        assert config.deepspeed_config["offload_optimizer_device"] == "cpu"
    if name == "zero3":
        assert config.deepspeed_config["zero_stage"] == 3
    if name == "fsdp":
        assert config.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"
