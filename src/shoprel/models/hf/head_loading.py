"""Load an encoder checkpoint under a head it may lack (a classifier, a masked-LM head), telling
the head's missing weights, expected, from the encoder's, a broken checkpoint.

transformers prints both in one "LOAD REPORT" table of MISSING keys (with a "checkpoint seem
corrupted" warning about the head): a wall of text for what every fine-tuning start looks like,
and, once silenced, nothing at all for an encoder that starts partly random. The report is
silenced here and the encoder's missing weights are handed back for one `warning:` line
(`missing_encoder_warning`), as pretrain and the cross-encoder's, the LLM's and the
bi-encoder's fits do.
transformers is imported only inside `load_under_head`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHOWN = 3  # weight names a warning line spells out; the rest are counted


@dataclass
class HeadLoad:
    model: Any
    new_head: bool  # some weights outside the encoder were missing: the head started new
    missing_encoder: list[str] = field(default_factory=list)  # started random: broken?


def load_under_head(auto_class, source: str, bar: bool = False, **kwargs) -> HeadLoad:
    """`auto_class.from_pretrained(source, **kwargs)` without transformers' load report, with
    the missing weights split into the head's and the encoder's (under the model's
    `base_model_prefix`). `bar`: keep transformers' "Loading weights" bar (a big decoder
    takes a while), which is off otherwise and always under --quiet."""
    from shoprel.models.hf.trainer import quiet_transformers
    from shoprel.utils.progress import bars_allowed

    with quiet_transformers(bars=bar and bars_allowed()):
        model, info = auto_class.from_pretrained(source, output_loading_info=True, **kwargs)
    missing = list(info.get("missing_keys") or [])
    encoder = sorted(name for name in missing if _in_encoder(model, name))
    return HeadLoad(model, new_head=len(encoder) < len(missing), missing_encoder=encoder)


def _in_encoder(model, name: str) -> bool:
    """Whether weight `name` of `model` is the encoder's: under its `base_model_prefix`, or,
    for a bare encoder (AutoModel, whose names have no prefix), any; never its pooler, a head
    that the mean-pooling families never read and a classifier fine-tunes with its own head.
    A mean-pooling or masked-LM checkpoint has none (the built-in e5-small, pretrain's
    output): its cross-encoder was told it was 'a broken checkpoint?'."""
    if model.base_model is model:
        return not name.startswith("pooler.")
    prefix = model.base_model_prefix + "."
    return name.startswith(prefix) and not name.startswith(prefix + "pooler.")


def missing_encoder_warning(backbone: str, missing: list[str], consequence: str,
                            part: str = "encoder") -> str:
    """One `warning:` line naming the first few weights `backbone` lacks; `consequence` says
    what that means for what the command wrote, `part` what the backbone is ("decoder" for
    the LLM family, whose missing weights are a decoder's)."""
    named = ", ".join(missing[:SHOWN]) + (f" and {len(missing) - SHOWN} more"
                                          if len(missing) > SHOWN else "")
    return (f"warning: {backbone} lacks {len(missing)} {part} weight(s) ({named}), which "
            f"started random: a broken checkpoint? {consequence}")
