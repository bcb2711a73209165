"""Limits and batching knobs of the API, in one place so the CLI and tests set the same things."""

from __future__ import annotations

import json
import os

from pydantic import ConfigDict, Field, field_validator

from shoprel.models.backbones.embedding_store import MAX_RECENT_TEXTS
from shoprel.models.config import StrictConfig
from shoprel.predict.cascade import DEFAULT_SHARE, ScorerName, scorer_in_any_case
from shoprel.utils.bounds import not_finite

SETTINGS_ENV = "SHOPREL_SERVE_SETTINGS"
RUN_DIR_ENV = "SHOPREL_SERVE_RUN_DIR"
QUIET_ENV = "SHOPREL_SERVE_QUIET"  # "1": serve runs under --quiet, its workers as well


def api_key_problem(key: str | None) -> str | None:
    """Why no `Authorization: Bearer KEY` header can carry `key`, or None: the server strips
    the token's spaces, and a header holds no line break or other control character."""
    if key is None:
        return None
    if not key.strip():
        return ("an empty or blank key would serve with no key at all; give a key, or leave "
                "the option out to serve without one")
    if key != key.strip():
        return "a key cannot begin or end with a space: clients' keys never match it"
    if any(ord(char) < 32 or ord(char) == 127 for char in key):
        return "a key cannot hold a control character (a line break, a tab): no header carries it"
    return None


class ServeSettings(StrictConfig):
    """Defaults suit one CPU process: requests stay small, batches wait a few ms at most.
    A config class as the run's are (StrictConfig): built in Python with a wrong value, it is
    one line naming the field (ConfigValueError), and no unknown name, .nan/.inf or boolean
    for a number is taken."""

    # .inf (request_timeout_s: no timeout) written as JSON's Infinity, not null: to_env's JSON
    # is read back by each worker of `serve --workers N`, which refused null as no number
    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    max_pairs: int = Field(1000, ge=1, description="Pairs allowed in one request.")
    max_text_chars: int = Field(2000, ge=1, description="Characters allowed in one text field.")
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="Request body size limit.")
    max_batch_pairs: int = Field(1024, ge=1, description="Pairs gathered into one model call.")
    max_wait_ms: float = Field(2.0, ge=0, description="How long a batch waits for more requests.")
    slice_pairs: int = Field(64, ge=1, description="Pairs of one request per batch: a bigger "
                                                   "request is scored in turns with the others.")
    # no le=: check_recent_texts holds the upper bound, in a line naming --recent-texts and the
    # memory it saves
    recent_texts: int = Field(100_000, ge=0, description="Embedded texts (queries repeat) kept "
                                                         "in memory, at most "
                                                         f"{MAX_RECENT_TEXTS:,}; 0: none.")
    index_dirs: list[str] = Field(default_factory=list, description="Target-index folders "
                                  "besides the run's own (`shoprel index --out`).")
    # where serve keeps the recorded translator's SQLite cache instead of the run's config.yaml
    # data.translator.cache: a recorded one that lies inside a run (a copied run) was refused,
    # and editing the run's config was the only way out
    translator_cache: str | None = Field(None, min_length=1,
                                         description="SQLite cache of the recorded translator, "
                                                     "in place of the one the run records.")
    # one request's share of the model: without it a client can send max_pairs pairs of
    # max_text_chars texts each and hold every other client up
    max_total_chars: int = Field(200_000, ge=1,
                                 description="Characters allowed in one request, all texts.")
    # .inf is no timeout, as `serve --request-timeout inf` has always meant (asyncio waits on)
    request_timeout_s: float = Field(30.0, gt=0, allow_inf_nan=True,
                                     description="Longest a request may wait for its scores "
                                                 "before a 503.")
    api_key: str | None = Field(None, min_length=1, repr=False,
                                description="Bearer key every request must send but those to "
                                            "the probes and the API docs.")
    scorer: ScorerName = Field(
        "full", description="full: the run's models; student: the fast student it carries; "
                            "cascade: the student, the full model for the queries it is least "
                            "sure of.")
    cascade_share: float = Field(DEFAULT_SHARE, gt=0, le=1,
                                 description="cascade: the share of the student's training "
                                             "rows whose distance to its cut sets the "
                                             "queries the full model rescores.")

    @field_validator("scorer", mode="before")
    @classmethod
    def _scorer_in_any_case(cls, value):
        """"FULL" is "full", as `serve --scorer FULL` and `shoprel.Scorer(scorer="FULL")`."""
        return scorer_in_any_case(value)

    @field_validator("request_timeout_s", mode="before")
    @classmethod
    def _timeout_a_number(cls, value):
        """nan is refused as `serve --request-timeout nan` refuses it ("nan is not a number"):
        the field takes .inf (no timeout), so pydantic's own refusal of .nan is off and its
        gt=0 said "nan is out of range; it must be above 0"."""
        if isinstance(value, float) and value != value:
            raise ValueError(not_finite(value))
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _key_can_match(cls, value):
        """A key no request can send is refused: it locked every client out (401), or, empty
        from `serve --api-key "$UNSET"`, served with no key at all."""
        problem = api_key_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise ValueError(problem)
        return value

    def to_env(self) -> dict[str, str]:
        """For uvicorn worker processes, which rebuild the app from the environment."""
        return {SETTINGS_ENV: self.model_dump_json()}

    @classmethod
    def from_env(cls) -> ServeSettings:
        raw = os.environ.get(SETTINGS_ENV)
        return cls(**json.loads(raw)) if raw else cls()
