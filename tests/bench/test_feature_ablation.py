import numpy as np

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
