"""A saved LLM model's own files checked without loading it: loading puts its adapter onto
the backbone (GBs, seconds to minutes), so a command that loads the model only after its work
(distill's speed comparison, a student written first) checks here, in milliseconds, before the
work, that the adapter's files are there and read. A broken one is said naming its file."""

from __future__ import annotations

import json
from pathlib import Path

from shoprel.data.records import written_kind
from shoprel.errors import RunDirError, one_line_reason

# what peft's save_pretrained writes into the adapter folder (peft's CONFIG_NAME and
# SAFETENSORS_WEIGHTS_NAME, named here so that the check imports neither peft nor torch)
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
MEND = "copy the run again from where it was trained, or train it again"


def check_adapter_files(adapter: Path) -> None:
    """One RunDirError line naming the file when the adapter folder `adapter` lacks its config
    or weights, its config is no JSON object, or its weights' safetensors header does not read
    (cut short, not safetensors): what peft would fail on as the model loads."""
    config, weights = adapter / ADAPTER_CONFIG, adapter / ADAPTER_WEIGHTS
    for path in (config, weights):
        if not path.is_file():
            raise RunDirError(f"{path}: missing (the saved model's adapter); {MEND}")
    try:
        saved = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # a JSON or UTF-8 error is a ValueError
        raise RunDirError(f"{config}: cannot be read ({one_line_reason(exc)}); {MEND}") from None
    if not isinstance(saved, dict):
        raise RunDirError(f"{config}: {written_kind(saved)} is not a JSON object; {MEND}")
    from safetensors import safe_open

    try:  # the header and that the data it lays out are all there; no tensor is read
        with safe_open(str(weights), "np"):
            pass
    except Exception as exc:  # noqa: BLE001 (safetensors' own errors, an OSError)
        raise RunDirError(f"{weights}: cannot be read ({one_line_reason(exc)}); {MEND}"
                          ) from None
