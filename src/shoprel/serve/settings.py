"""Limits and batching knobs of the API, in one place so the CLI and tests set the same things."""

from __future__ import annotations

import json
import os

from pydantic import BaseModel, ConfigDict, Field

SETTINGS_ENV = "SHOPREL_SERVE_SETTINGS"
RUN_DIR_ENV = "SHOPREL_SERVE_RUN_DIR"


class ServeSettings(BaseModel):
    """Defaults suit one CPU process: requests stay small, batches wait a few ms at most."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_pairs: int = Field(1000, ge=1, description="Pairs allowed in one request.")
    max_text_chars: int = Field(2000, ge=1, description="Characters allowed in one text field.")
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="Request body size limit.")
    max_batch_pairs: int = Field(1024, ge=1, description="Pairs gathered into one model call.")
    max_wait_ms: float = Field(2.0, ge=0, description="How long a batch waits for more requests.")

    def to_env(self) -> dict[str, str]:
        """For uvicorn worker processes, which rebuild the app from the environment."""
        return {SETTINGS_ENV: self.model_dump_json()}

    @classmethod
    def from_env(cls) -> ServeSettings:
        raw = os.environ.get(SETTINGS_ENV)
        return cls(**json.loads(raw)) if raw else cls()
