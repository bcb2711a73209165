import pytest
import torch

from shoprel.models.biencoder.states import kept_states


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_a_texts_states_are_kept_apart_from_their_padded_batch(dtype):
    # a view would keep the whole batch alive in the memo; a float16 batch is where `.to` alone
    # hands back the same tensor
    batch = torch.randn(4, 10, 8).to(dtype)
    kept = kept_states(batch[1, :5])
    assert kept.dtype == torch.float16
    assert kept.untyped_storage().data_ptr() != batch.untyped_storage().data_ptr()
    assert kept.untyped_storage().nbytes() == 5 * 8 * 2
    batch.zero_()
    assert kept.abs().sum() > 0


def test_states_past_float16s_range_are_kept_as_float32():
    batch = torch.full((2, 3, 4), 1e5)
    kept = kept_states(batch[0, :2])
    assert kept.dtype == torch.float32 and float(kept[0, 0]) == 1e5
    assert kept.untyped_storage().nbytes() == 2 * 4 * 4
