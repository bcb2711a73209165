"""How many new queries a second the backbone's encoder could embed on this machine at best, and
how close the engine comes: the arithmetic ceiling behind the speed issue's 1,000 pairs/s.

    python bench/encoder_ceiling.py [--queries 256] [--threads 2] [--file train_QC.txt]

A pair whose target is indexed still needs its query embedded; on the QC files nearly every
query is new (~1.1 rows a query), so a model's new-pair rate is bounded by its encoder's
query rate. This prints, in one run:
- the encoder's arithmetic per query: multiply-adds of its linear layers (from the backbone's
  `config.json` and its dense heads) times the query's tokens with the retrieval prompt, plus
  attention, counted on real queries;
- the machine's matrix-multiply rate measured with onnxruntime's own kernels at the encoder's
  layer shapes (fp32 MatMul, and int8 MatMulInteger, which the int8 export runs on), on
  `--threads` threads;
- the ceiling (rate / arithmetic per query) and the engine's measured queries/s beside it, and
  how many cores 1,000 new queries a second would take at the engine's CPU cost and at the
  products' rates.

Only EmbeddingGemma's ONNX fp32 engine (the default's) is timed. The machine may be shared:
read the fraction of the ceiling, which moves less than either figure.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench_guard import require_input, run_main

QC_REAL = Path("../shared/data/qc_real/train_QC.txt")
TARGET = 1000  # new pairs a second: issue 14's target for the default model


@dataclass(frozen=True)
class Shape:
    """The parts of a decoder-style encoder's config that set its arithmetic."""

    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    dense: tuple[tuple[int, int], ...]  # sentence-transformers dense heads after pooling

    @classmethod
    def from_folder(cls, folder: Path) -> Shape:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        dense = []
        for sub in sorted(folder.glob("*_Dense/config.json")):
            part = json.loads(sub.read_text(encoding="utf-8"))
            dense.append((int(part["in_features"]), int(part["out_features"])))
        heads = int(config["num_attention_heads"])
        return cls(hidden=int(config["hidden_size"]),
                   intermediate=int(config["intermediate_size"]),
                   layers=int(config["num_hidden_layers"]), heads=heads,
                   kv_heads=int(config.get("num_key_value_heads", heads)),
                   head_dim=int(config.get("head_dim", config["hidden_size"] // heads)),
                   dense=tuple(dense))

    def linear_weights_per_layer(self) -> int:
        h, q, kv = self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim
        return h * q + 2 * h * kv + q * h + 3 * h * self.intermediate  # q k v o, gated MLP

    def flops(self, tokens: int) -> float:
        """Floating-point operations (2 per multiply-add) to embed one text of `tokens` tokens."""
        linear = 2 * tokens * self.layers * self.linear_weights_per_layer()
        attention = 2 * 2 * self.layers * self.heads * self.head_dim * tokens * tokens
        dense = 2 * sum(a * b for a, b in self.dense)
        return float(linear + attention + dense)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=256, help="distinct real queries timed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--file", default=None,
                        help="QC file for queries (default: the shared real rows, else the demo)")
    parser.add_argument("--cache-dir", default=None, help="shoprel cache (default: user cache)")
    return parser.parse_args()


def real_queries(path: Path | None, n: int) -> list[str]:
    from shoprel.data.readers import read_pairs
    from shoprel.demo import demo_file

    path = path or (QC_REAL if QC_REAL.is_file() else demo_file("QC"))
    queries = read_pairs(require_input(path), task="QC").df["query"].drop_duplicates()
    return queries.sample(frac=1.0, random_state=0).tolist()[:n]


def matmul_rate(m: int, k: int, n: int, threads: int, integer: bool,
                seconds: float = 2.0) -> tuple[float, float]:
    """Operations (2 per multiply-add) of one onnxruntime (m,k)x(k,n) product per wall second
    and per CPU second of this process (the latter moves less when the machine is shared)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    if integer:
        a = helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k])
        b = helper.make_tensor_value_info("b", TensorProto.INT8, [k, n])
        out = helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])
        node = helper.make_node("MatMulInteger", ["a", "b"], ["y"])
        feeds = {"a": np.random.default_rng(0).integers(0, 255, (m, k), dtype=np.uint8),
                 "b": np.random.default_rng(1).integers(-127, 127, (k, n), dtype=np.int8)}
    else:
        a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])
        b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n])
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])
        node = helper.make_node("MatMul", ["a", "b"], ["y"])
        feeds = {"a": np.random.default_rng(0).standard_normal((m, k), dtype=np.float32),
                 "b": np.random.default_rng(1).standard_normal((k, n), dtype=np.float32)}
    graph = helper.make_graph([node], "mm", [a, b], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    onnx.checker.check_model(model)
    session.run(None, feeds)  # warm-up
    runs, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        session.run(None, feeds)
        runs += 1
    ops = 2.0 * m * k * n * runs
    return ops / (time.perf_counter() - start), ops / (time.process_time() - cpu)


def main() -> None:
    args = parse_args()
    from shoprel.models.backbones import onnx_engine as oe
    from shoprel.models.backbones import resolve_backbone

    backbone = resolve_backbone("embeddinggemma-300m", args.cache_dir, verify=False)
    shape = Shape.from_folder(Path(backbone.source))
    folder = oe.exported(backbone, oe.PRECISION[oe.ONNX])
    encoder = oe.OnnxEncoder.from_folder(folder, batch_size=64, num_threads=args.threads)
    queries = real_queries(Path(args.file) if args.file else None, args.queries)
    prompted = [backbone.query_prefix + q for q in queries]
    tokens = [len(encoder.tokenizer.encode(t).ids) for t in prompted]
    flops = float(np.mean([shape.flops(t) for t in tokens]))

    # the encoder's products for one 64-query batch at the mean length
    rows = 64 * round(float(np.mean(tokens)))
    shapes = [(rows, shape.hidden, shape.intermediate), (rows, shape.intermediate, shape.hidden),
              (rows, shape.hidden, shape.heads * shape.head_dim)]
    rate, per_cpu = {}, {}
    for kind in ("fp32", "int8"):
        measured_rates = [matmul_rate(m, k, n, args.threads, kind == "int8") for m, k, n in shapes]
        rate[kind] = float(np.mean([wall_rate for wall_rate, _ in measured_rates]))
        per_cpu[kind] = float(np.mean([cpu_rate for _, cpu_rate in measured_rates]))

    encoder.encode_prefixed(prompted[:16])  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    encoder.encode_prefixed(prompted)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    measured = len(prompted) / wall

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"{args.threads} threads")
    print(f"encoder: embeddinggemma-300m, {shape.layers} layers, "
          f"{shape.layers * shape.linear_weights_per_layer() / 1e6:.0f}M weights in its layers' "
          f"products (the token table is looked up, not multiplied)")
    print(f"queries: {len(queries)} real, {np.mean(tokens):.1f} tokens each with the prompt "
          f"(min {min(tokens)}, max {max(tokens)}): {flops / 1e9:.2f} GFLOP a query")
    for kind in ("fp32", "int8"):
        print(f"{kind} products at the encoder's shapes: {rate[kind] / 1e9:.0f} G ops a wall "
              f"second, {per_cpu[kind] / 1e9:.0f} G a CPU second -> ceiling "
              f"{rate[kind] / flops:.0f} queries/s now, {per_cpu[kind] / flops:.0f} a core "
              f"({args.threads * per_cpu[kind] / flops:.0f} on {args.threads} idle cores)")
    cpu_ms = 1000 * cpu / len(prompted)
    print(f"onnx fp32 engine (the default): {measured:.1f} queries/s, {cpu_ms:.1f} CPU ms a "
          f"query, {flops / (cpu / len(prompted)) / per_cpu['fp32']:.0%} of the fp32 products' "
          "rate per CPU second")
    print(f"{TARGET} new queries a second: ~{TARGET * cpu_ms / 1000:.0f} cores at this engine's "
          f"CPU cost; ~{TARGET * flops / per_cpu['fp32']:.0f} at the fp32 products' rate, "
          f"~{TARGET * flops / per_cpu['int8']:.0f} at the int8 products' rate")


if __name__ == "__main__":
    run_main(main)
