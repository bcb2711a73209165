"""The encoder-ceiling bench's arithmetic: operations counted from a config folder, and the
matrix-product rate it divides them by."""

import json

import pytest


def write_folder(tmp_path, dense=((4, 8), (8, 4))):
    config = {"hidden_size": 4, "intermediate_size": 6, "num_hidden_layers": 2,
              "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 3}
    (tmp_path / "config.json").write_text(json.dumps(config))
    for i, (a, b) in enumerate(dense, start=2):
        (tmp_path / f"{i}_Dense").mkdir()
        (tmp_path / f"{i}_Dense" / "config.json").write_text(
            json.dumps({"in_features": a, "out_features": b}))
    return tmp_path


def test_operations_count_every_product_of_a_layer_and_the_dense_heads(tmp_path, load_bench):
    bench = load_bench("encoder_ceiling")
    shape = bench.Shape.from_folder(write_folder(tmp_path))
    assert shape.dense == ((4, 8), (8, 4))
    # q 4x6, k and v 4x3 each, o 6x4, gated MLP three 4x6 products
    assert shape.linear_weights_per_layer() == 24 + 12 + 12 + 24 + 72
    tokens = 5
    linear = 2 * tokens * 2 * 144
    attention = 2 * 2 * 2 * 2 * 3 * tokens * tokens  # scores and weighted values, 2 heads
    assert shape.flops(tokens) == linear + attention + 2 * (32 + 32)


def test_heads_default_to_the_hidden_size_split_when_the_config_leaves_them_out(tmp_path,
                                                                                 load_bench):
    bench = load_bench("encoder_ceiling")
    (tmp_path / "config.json").write_text(json.dumps(
        {"hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
         "num_attention_heads": 2}))
    shape = bench.Shape.from_folder(tmp_path)
    assert (shape.kv_heads, shape.head_dim, shape.dense) == (2, 4, ())
    assert shape.linear_weights_per_layer() == 4 * 8 * 8 + 3 * 8 * 16


@pytest.mark.parametrize("integer", [False, True])
def test_one_thread_does_at_least_its_wall_rate_per_cpu_second(integer, load_bench):
    bench = load_bench("encoder_ceiling")
    wall, per_cpu = bench.matmul_rate(32, 16, 8, threads=1, integer=integer, seconds=0.05)
    assert wall > 0
    assert per_cpu >= 0.9 * wall  # one thread uses at most one CPU second a wall second
