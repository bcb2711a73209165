"""The fine-tuned classifiers' trainer (cross, llm) steps with the gradients of one batch of the
step's rows, however many micro-batches it accumulates: tiny random BERT, and LoRA on tiny
random Gemma-3 and Qwen-2, on CPU."""

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tests.models.builders import tiny_decoder  # noqa: E402

from shoprel.models.hf import trainer as hft  # noqa: E402
from shoprel.models.hf.config import TrainingArguments  # noqa: E402
from shoprel.models.hf.step_loss import labelled_weight, summed_cross_entropy  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LOGITS = torch.tensor([[2.0, -1.0], [0.5, 0.2], [-1.0, 1.0], [0.3, 0.1]])
LABELS = torch.tensor([0, 1, 1, 1])
WEIGHTS = torch.tensor([3.0, 0.6])


@pytest.mark.parametrize("weights", [None, WEIGHTS], ids=["plain", "weighted"])
def test_a_step_of_one_batch_has_torch_s_own_loss(weights):
    """One batch, one process (Trainer's count is that batch's): torch's (weighted) mean, to
    the bit, so such fits learn what they learnt before; a batch half of its step's weight
    gives half of it."""
    loss = summed_cross_entropy(weights)
    expected = torch.nn.functional.cross_entropy(LOGITS, LABELS, weight=weights)
    step = labelled_weight(LABELS, weights)
    assert float(step) == pytest.approx(4 if weights is None else 3.0 + 3 * 0.6)
    assert torch.equal(loss({"logits": LOGITS}, LABELS), expected)
    assert torch.equal(loss({"logits": LOGITS}, LABELS, num_items_in_batch=step), expected)
    torch.testing.assert_close(loss({"logits": LOGITS}, LABELS, num_items_in_batch=2 * step),
                               expected / 2)


def test_the_weighted_trainer_divides_by_the_step_s_weights():
    """The weighted cross-entropy, not the model's plain mean, over the sum of the weights."""
    loss = summed_cross_entropy(WEIGHTS)({"logits": LOGITS}, LABELS)
    per_row = torch.nn.functional.cross_entropy(LOGITS, LABELS, reduction="none")
    w = WEIGHTS[LABELS]
    assert float(loss) == pytest.approx(float((per_row * w).sum() / w.sum()))
    assert float(loss) != pytest.approx(float(per_row.mean()))


# 2 positives, then 6 negatives: with the balanced weights of a fit set of 1 positive in 6
# (0.6, 3.0) the first micro-batch of 4 weighs 2 x 3 + 2 x 0.6 and the second 4 x 0.6, so
# neither a mean of the micro-batches' means nor a division by the step's 8 rows (9.6 of
# weight) is the step's weighted mean
ORDER = [1, 1, 0, 0, 0, 0, 0, 0]
FIT_SET_WEIGHTS = hft.balanced_class_weights(np.array([1, 0, 0, 0, 0, 0]))


@pytest.fixture(scope="module")
def rows(qc_frame):
    labels = qc_frame.labels
    chosen = [int(np.flatnonzero(labels == y)[i]) for i, y in
              zip([0, 1, 0, 1, 2, 3, 4, 5], ORDER, strict=True)]
    frame = qc_frame.take(np.array(chosen))
    return ([str(q) for q in frame.df["query"]], [str(t) for t in frame.df["target"]],
            frame.labels)


def bert_classifier(tiny_bert, rows, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_bert, num_labels=2)
    return model, tokenizer, hft.PairDataset(tokenizer, *rows, max_length=48)


def lora_classifier(kind, rows, tmp_path):
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from shoprel.models.llm.config import LINEAR_PROJECTIONS
    from shoprel.models.llm.model import EncodedPairs, lora_targets, without_library_deprecations
    from shoprel.models.llm.prompt import DEFAULT_TEMPLATE, PairEncoder

    folder = tiny_decoder(tmp_path / kind, kind)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    base = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2)
    base.config.pad_token_id = tokenizer.pad_token_id
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8, lora_dropout=0.0,
                        target_modules=lora_targets(base, list(LINEAR_PROJECTIONS)),
                        modules_to_save=["score"])
    with without_library_deprecations():
        model = get_peft_model(base, config)
    ids = PairEncoder(tokenizer, DEFAULT_TEMPLATE, 40).encode(rows[0], rows[1])
    return model, tokenizer, EncodedPairs(ids, rows[2])


class Kept:
    """A callback keeping each trained weight's gradient as the optimizer is about to step."""

    def __new__(cls):
        from transformers import TrainerCallback

        class Gradients(TrainerCallback):
            grads: dict = {}

            def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
                self.grads = {name: p.grad.detach().clone()
                              for name, p in model.named_parameters() if p.grad is not None}

        return Gradients()


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "balanced"])
@pytest.mark.parametrize("build", ["bert", "gemma3", "qwen2"])
def test_accumulated_micro_batches_step_as_one_batch_of_the_same_rows(build, weighted, rows,
                                                                      tiny_bert, tmp_path):
    """Trainer takes these models (forward with **kwargs) to divide a summed loss by the step's
    rows, so it did not divide their mean loss by the accumulation steps: 2 micro-batches of 4
    rows stepped with twice the gradients (and logged twice the loss) of one batch of the 8.
    Now both are the gradients of the 8 rows' (weighted) mean, computed here by hand."""
    from transformers import DataCollatorWithPadding

    if build == "bert":
        model, tokenizer, dataset = bert_classifier(tiny_bert, rows, tmp_path)
    else:
        model, tokenizer, dataset = lora_classifier(build, rows, tmp_path)
    for module in model.modules():  # the same forward however the rows are batched
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    weights = list(FIT_SET_WEIGHTS) if weighted else None
    collate = DataCollatorWithPadding(tokenizer)
    start = {name: value.clone() for name, value in model.state_dict().items()}

    batch = collate([dataset[i] for i in range(len(dataset))])
    labels = batch.pop("labels")
    model.train()
    mean = torch.nn.functional.cross_entropy(
        model(**batch).logits, labels,
        weight=None if weights is None else torch.tensor(weights, dtype=torch.float32))
    mean.backward()
    mean = mean.item()
    by_hand = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()

    def step(rows_per_batch: int, accumulation: int):
        model.load_state_dict(start)
        kept = Kept()
        params = TrainingArguments(batch_size=rows_per_batch, grad_accumulation=accumulation,
                                   max_steps=1, learning_rate=1e-3)
        arguments = dataclasses.replace(
            hft.training_arguments(params, tmp_path / f"fit{rows_per_batch}"),
            save_strategy="no", max_grad_norm=0.0, logging_steps=1,
            train_sampling_strategy="sequential")
        trainer = hft.weighted_trainer_class()(
            model=model, args=arguments, train_dataset=dataset, data_collator=collate,
            processing_class=tokenizer, class_weights=weights, callbacks=[kept])
        trainer.train()
        logged = next(entry for entry in trainer.state.log_history if "grad_norm" in entry)
        return kept.grads, logged

    whole, whole_log = step(8, 1)
    split, split_log = step(4, 2)
    assert whole_log["loss"] == pytest.approx(mean, rel=1e-5)
    assert split_log["loss"] == pytest.approx(mean, rel=1e-5)  # was twice
    assert split_log["grad_norm"] == pytest.approx(whole_log["grad_norm"], rel=1e-5)
    assert by_hand.keys() == whole.keys() == split.keys()
    assert sum(bool(grad.abs().max() > 1e-6) for grad in by_hand.values()) >= 4
    for name, grad in by_hand.items():
        # key biases' gradients are 0 in exact arithmetic (softmax ignores them): rounding
        torch.testing.assert_close(whole[name], grad, rtol=1e-4, atol=1e-7, msg=name)
        torch.testing.assert_close(split[name], grad, rtol=1e-4, atol=1e-7, msg=name)
