"""`shoprel serve RUN_DIR`: parse options, hand them to the server runner."""

from __future__ import annotations

import os

import click

from shoprel.cli.options import (
    IntegerRange,
    NumberRange,
    check_cascade_share,
    given,
    input_path,
    output_path,
    quiet_option,
    scorer_option,
)
from shoprel.models.backbones.embedding_store import MAX_RECENT_TEXTS
from shoprel.serve.connections import DEFAULT_MAX_CONNECTIONS, OVER_LIMIT_HEAD_SECONDS
from shoprel.serve.guards import OPEN_PATHS
from shoprel.serve.settings import ServeSettings, api_key_problem

_DEFAULTS = ServeSettings()
API_KEY_ENV = "SHOPREL_API_KEY"


@click.command("serve")
@click.argument("run_dir", type=input_path())
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the API to the network).")
@click.option("--port", default=8000, show_default=True, type=IntegerRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=IntegerRange(1),
              help="Worker processes, at most 2 per CPU core; each loads the model and keeps "
                   "its own metrics.")
@click.option("--max-connections", default=DEFAULT_MAX_CONNECTIONS, show_default=True,
              type=IntegerRange(1),
              help="Open connections served at once, per worker: a request on one past them "
                   "is answered 503 and the connection closed (one that sends nothing, after "
                   f"{OVER_LIMIT_HEAD_SECONDS:g} s).")
@click.option("--max-pairs", default=_DEFAULTS.max_pairs, show_default=True,
              type=IntegerRange(1), help="Pairs allowed in one request.")
@click.option("--max-text-chars", default=_DEFAULTS.max_text_chars, show_default=True,
              type=IntegerRange(1), help="Characters allowed in one query or target.")
@click.option("--max-body-bytes", default=_DEFAULTS.max_body_bytes, show_default=True,
              type=IntegerRange(1024), help="Request body size limit.")
@click.option("--max-batch-pairs", default=_DEFAULTS.max_batch_pairs, show_default=True,
              type=IntegerRange(1), help="Pairs per model call (from concurrent requests).")
@click.option("--max-wait-ms", default=_DEFAULTS.max_wait_ms, show_default=True,
              type=NumberRange(0), help="How long a batch waits for more requests.")
@click.option("--slice-pairs", default=_DEFAULTS.slice_pairs, show_default=True,
              type=IntegerRange(1), help="Pairs of one request per model call: bigger "
                                           "requests are scored in turns with the others.")
@click.option("--recent-texts", default=_DEFAULTS.recent_texts, show_default=True,
              type=IntegerRange(0, MAX_RECENT_TEXTS),
              help=f"Embedded texts kept in memory (queries repeat), at most "
                   f"{MAX_RECENT_TEXTS:,}; 0: none.")
@click.option("--index", "index_dirs", multiple=True, type=input_path(),
              help="Target-index folder (shoprel index --out), besides the run's own; "
                   "repeatable.")
@click.option("--translator-cache", type=output_path(), default=None,
              help="SQLite cache of the run's recorded translator (data.translator), in place "
                   "of the cache its config.yaml names: serve writes the translations of new "
                   "queries there. Checked as translate --cache is.")
@click.option("--max-total-chars", default=_DEFAULTS.max_total_chars, show_default=True,
              type=IntegerRange(1), help="Characters allowed in one request, all texts.")
@click.option("--request-timeout", default=_DEFAULTS.request_timeout_s, show_default=True,
              type=NumberRange(0, min_open=True, infinite=True),
              help="Seconds a request may wait for its scores (then 503); inf: no "
                   "limit.")
@click.option("--api-key", envvar=API_KEY_ENV, default=None, show_envvar=True,
              hide_input=True,  # a secret: no error line shows it (cli/repeats.py)
              callback=lambda ctx, param, key: _usable_key(key),
              help="Require 'Authorization: Bearer KEY' on every request but "
                   f"{', '.join(sorted(OPEN_PATHS))} (the probes and the API docs).")
@scorer_option(_DEFAULTS.scorer)
@click.option("--cascade-share", default=_DEFAULTS.cascade_share, show_default=True,
              type=NumberRange(0, 1, min_open=True),
              help="--scorer cascade: the share of the student's training rows, nearest its "
                   "threshold, whose distance sets which queries the full model rescores.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              help="The server's log (uvicorn's); warning under --quiet unless given.")
@quiet_option("No loading bars or log lines from the model libraries (transformers' "
              "'Loading weights' when a model loads), and the server's INFO lines (startup, "
              "each request): its log at warning, unless --log-level says otherwise.")
def serve(run_dir, host, port, workers, max_connections, max_pairs, max_text_chars, max_body_bytes,
          max_batch_pairs, max_wait_ms, slice_pairs, recent_texts, index_dirs, translator_cache,
          max_total_chars, request_timeout, api_key, scorer, cascade_share, log_level, quiet):
    """Serve a run over HTTP: POST /v1/score, /healthz, /readyz, /metrics, /docs."""
    check_cascade_share(scorer)  # before the run loads: ignored, it would read as applied
    if quiet and not given("log_level"):  # quiet silences info, as every command's does
        log_level = "warning"
    from shoprel.utils.scoring_imports import import_lightgbm_for_scoring

    import_lightgbm_for_scoring()
    from shoprel.serve.server import run_server

    settings = ServeSettings(max_pairs=max_pairs, max_text_chars=max_text_chars,
                             max_body_bytes=max_body_bytes, max_batch_pairs=max_batch_pairs,
                             max_wait_ms=max_wait_ms, slice_pairs=slice_pairs,
                             recent_texts=recent_texts,
                             index_dirs=[str(d.resolve()) for d in index_dirs],
                             translator_cache=(None if translator_cache is None
                                               else str(translator_cache.absolute())),
                             max_total_chars=max_total_chars,
                             request_timeout_s=request_timeout, api_key=api_key,
                             scorer=scorer, cascade_share=cascade_share)
    run_server(run_dir, settings, host=host, port=port, workers=workers, log_level=log_level,
               warn=lambda text: click.echo(text, err=True), max_connections=max_connections)


def _usable_key(key: str | None) -> str | None:
    """`--api-key ""` (a script's unset variable) served with no key at all, silently; so did
    an empty SHOPREL_API_KEY (a secret that failed to fill), which click reads as unset."""
    if key is None and os.environ.get(API_KEY_ENV) == "":
        raise click.BadParameter(f"{API_KEY_ENV} is set but empty, which would serve with no key "
                                 "at all; give it a key, or unset it to serve without one")
    problem = api_key_problem(key)
    if problem is not None:
        raise click.BadParameter(problem)
    return key


COMMANDS = (serve,)
