"""The split encoder: the top layers run on the bottom's cached states give the whole model's
output, for decoder-style (Gemma 3) and encoder-style (BERT, XLM-R) stacks alike."""

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from shoprel.errors import ConfigError  # noqa: E402
from shoprel.models.backbones.split_encoder import SplitEncoder, n_layers  # noqa: E402


def _models():
    small = {"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 4,
             "num_attention_heads": 2, "intermediate_size": 64}
    torch.manual_seed(0)
    return {
        "bert": transformers.BertModel(transformers.BertConfig(**small)),
        "xlm-roberta": transformers.XLMRobertaModel(transformers.XLMRobertaConfig(**small)),
        "gemma3": transformers.Gemma3TextModel(transformers.Gemma3TextConfig(
            **small, num_key_value_heads=1, head_dim=16, use_bidirectional_attention=True,
            sliding_window=4, layer_types=["sliding_attention", "full_attention"] * 2)),
    }


@pytest.fixture(scope="module", params=["bert", "xlm-roberta", "gemma3"])
def model(request):
    model = _models()[request.param]
    model.eval()
    return model


@pytest.fixture(scope="module")
def batch():
    torch.manual_seed(1)
    ids = torch.randint(3, 100, (3, 9))
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 6:] = 0  # padded rows: a sliding window of 4 and padding both matter
    mask[2, 3:] = 0
    return ids, mask


@pytest.mark.parametrize("start", [0, 1, 3])
def test_top_of_bottom_is_the_whole_model(model, batch, start):
    ids, mask = batch
    with torch.no_grad():
        whole = model(input_ids=ids, attention_mask=mask).last_hidden_state
        split = SplitEncoder(model, start)
        states = split.bottom(ids, mask)
        out = split.forward_top(states, mask)
        again = model(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    torch.testing.assert_close(out[real], whole[real], atol=1e-5, rtol=0)
    torch.testing.assert_close(again, whole)  # the model itself is left whole
    if start > 0:  # the bottom really stops early: its states are not the output
        assert not torch.allclose(states[real], whole[real], atol=1e-3)


def test_the_top_trains_the_top_layers_only(model, batch):
    ids, mask = batch
    split = SplitEncoder(model, 2)
    tuned = {id(p) for m in split.tuned_modules().values() for p in m.parameters()}
    states = split.bottom(ids, mask).detach()
    split.forward_top(states, mask).sum().backward()
    for name, p in model.named_parameters():
        if p.grad is not None and p.grad.abs().sum() > 0:
            assert id(p) in tuned, name
    model.zero_grad()
    assert len(split.tuned_layers()) == 2 == n_layers(model) - 2


def test_refuses_a_split_outside_the_stack(model):
    with pytest.raises(ConfigError, match="tuned_layers"):
        SplitEncoder(model, n_layers(model))
    with pytest.raises(ConfigError, match="cannot train the top layers"):
        SplitEncoder(torch.nn.Linear(2, 2), 0)
