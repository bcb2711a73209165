import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from shoprel.data.readers import read_pairs


class CountingModel:
    """Stands in for the embed model: blocks are each row's index, so a test sees whose they are."""

    built = 0

    def __init__(self, **params):
        CountingModel.built += 1

    def training_blocks(self, rows, targets):
        return {"rowid": np.arange(len(targets.target), dtype=np.float64)[:, None]}

    def scoring_blocks(self, frame):
        return {"rowid": np.arange(len(frame), dtype=np.float64)[:, None]}


def test_cached_blocks_of_other_folds_are_computed_again(load_bench, qc_demo, tmp_path,
                                                         monkeypatch):
    """A cache folder filled for other folds (folds assigned another way, another file) must not
    be read as this run's: its validation rows are not this fold's."""
    import shoprel.models.embed.model as embed_model

    ablation = load_bench("feature_ablation")
    monkeypatch.setattr(embed_model, "EmbedModel", CountingModel)
    frame = read_pairs(qc_demo, require_label=True)
    first = np.arange(len(frame)) % 3
    second = (np.arange(len(frame)) + 1) % 3
    ablation.compute_blocks(frame, first, {}, tmp_path / "cache")
    assert CountingModel.built == 3
    again = ablation.compute_blocks(frame, first, {}, tmp_path / "cache")
    assert CountingModel.built == 3  # the same folds: read from the cache
    assert [b["va_idx"].tolist() for b in again] == [
        np.where(first == f)[0].tolist() for f in range(3)]
    other = ablation.compute_blocks(frame, second, {}, tmp_path / "cache")
    assert CountingModel.built == 6
    assert [b["va_idx"].tolist() for b in other] == [
        np.where(second == f)[0].tolist() for f in range(3)]


def test_a_variant_leaving_out_no_block_is_refused(load_bench):
    """`-wordmatch` (for word_match) measured every block under the label "without wordmatch"."""
    ablation = load_bench("feature_ablation")
    blocks = ["lexical", "cosine0", "cosine1", "word_match"]
    assert ablation.variant_blocks("all", blocks) == (blocks, "all")
    assert ablation.variant_blocks("-*1+word_match", blocks) == (
        ["lexical", "cosine0"], "without *1 and word_match")
    with pytest.raises(ValueError, match=r"^--variants -lexical\+wordmatch: 'wordmatch' matches "
                                         r"no block; the blocks are lexical, cosine0, cosine1"):
        ablation.variant_blocks("-lexical+wordmatch", blocks)


def test_a_variant_of_no_known_form_is_refused_before_the_blocks(tmp_path):
    bench = Path(__file__).resolve().parents[2] / "bench" / "feature_ablation.py"
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": 1, "task": "QC", "language": "en", "origin_query": "a", '
                    '"category_path": "b", "label": 1}\n', encoding="utf-8")
    done = subprocess.run([sys.executable, str(bench), str(data), "--variants", "all,wordmatch"],
                          capture_output=True, text=True, env={**os.environ,
                                                              "SHOPREL_CACHE": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "error: --variants: unknown 'wordmatch': each is all, old or -BLOCK")
    assert not (tmp_path / "ablation").exists()
