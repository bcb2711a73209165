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

import pytest
from tests.conftest import UNRENDERED

from shoprel import runs
from shoprel.data.readers import read_pairs

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


def torchrun(tmp_path: Path, args: list[str], digests: Path, nproc: int = 2):
    launcher = tmp_path / "launch_shoprel.py"
    launcher.write_text(f"UNRENDERED = {UNRENDERED!r}\n" + LAUNCHER)
    digests.mkdir()
    env = {**os.environ, "SHOPREL_TEST_DIGESTS": str(digests), "OMP_NUM_THREADS": "1",
           "SHOPREL_CACHE": str(tmp_path / "cache"),  # fits' checkpoints go here
           "TOKENIZERS_PARALLELISM": "false", "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", str(nproc), str(launcher), *args]
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
    run = runs.Run.open(out)
    for name in (runs.MANIFEST, runs.CONFIG, runs.FOLDS, runs.OOF, runs.METRICS, runs.REPORT):
        assert (out / name).is_file(), name
    assert (out / runs.REPORT).read_text(encoding="utf-8") == UNRENDERED  # rank 0's, once
    models = sorted(p.name for p in (out / runs.MODELS).iterdir())
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
        assert saved_weights_digest(out / runs.MODELS / name) == (rank0["sha256"],
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
    done = torchrun(tmp_path, ["train", str(small_qc), "--out", str(out), "--folds", "2",
                               "--quiet"], tmp_path / "digests")
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
