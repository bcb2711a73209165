"""How a pair becomes one decoder prompt (models/llm/prompt.py)."""

import pytest

pytest.importorskip("transformers")

from tests.models.builders import small_tokenizer  # noqa: E402

from shoprel.models.llm.prompt import PairEncoder, shorten  # noqa: E402


def test_long_pairs_are_cut_longest_first_keeping_the_template():
    assert shorten([1] * 5, [2] * 50, 20) == ([1] * 5, [2] * 15)
    assert shorten([1] * 50, [2] * 3, 20) == ([1] * 17, [2] * 3)
    assert shorten([1] * 30, [2] * 30, 21) == ([1] * 11, [2] * 10)
    encoder = PairEncoder(small_tokenizer(with_pad=True), max_length=48)
    ids = encoder.encode(["a very long query " * 20], ["an even longer product title " * 20])[0]
    assert len(ids) == 48
    assert encoder.tokenizer.decode(ids).endswith("Relevant:")
