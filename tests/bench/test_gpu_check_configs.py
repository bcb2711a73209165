"""bench/gpu_check.py writes one shoprel config per variant and runs it on a lent GPU, where a
typo in a param name costs minutes of a short lease: every variant of every family must give a
config shoprel accepts, with what the variant says it changes."""

from __future__ import annotations

import pytest

from shoprel.training.config_reading import parse_config


@pytest.fixture(scope="module")
def gpu_check(load_bench):
    return load_bench("gpu_check")


@pytest.mark.parametrize("family", ["cross", "biencoder"])
@pytest.mark.parametrize("smoke", [False, True])
def test_every_variant_is_a_valid_config(gpu_check, tmp_path, family, smoke):
    spec = gpu_check.FAMILIES[family]
    assert spec.variants
    for name, variant in spec.variants.items():
        config = gpu_check.variant_config(spec, name, tmp_path, smoke)
        run = parse_config(config, source=f"{family}/{name}")
        params = run.model.params
        assert run.model.family == family
        assert params["backbone"] == str(tmp_path / "backbone")
        assert params["epochs"] == variant["epochs"]
        for key, value in variant.get("params", {}).items():
            assert params[key] == value, (name, key)
        assert run.final.refit_full is False
        assert (run.stage0.data is not None) == ("stage0_epochs" in variant)
        if smoke:
            assert run.folds.k == 2 and params["max_steps"] == 3


def test_the_bi_encoder_variants_tune_more_than_the_preset(gpu_check, tmp_path):
    spec = gpu_check.FAMILIES["biencoder"]
    layers = {name: gpu_check.variant_config(spec, name, tmp_path, False)["model"]["params"]
              ["tuned_layers"] for name in spec.variants}
    assert layers["t4_1ep"] == 4  # the CPU preset, the anchor, runs first
    assert next(iter(spec.variants)) == "t4_1ep"
    assert max(layers.values()) == 24
    assert spec.qc_file == "qc_raw.jsonl"
