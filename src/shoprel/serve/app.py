"""The FastAPI app: score pairs with a saved run, report health and metrics.

No `from __future__ import annotations` here: FastAPI reads the endpoint's annotations at
runtime, and the request model is built per run inside create_app.
"""

import os
import warnings
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

import shoprel
from shoprel.data.frame import TRANSLATION, PairFrame
from shoprel.data.tasks import Task
from shoprel.data.validate import language_tag
from shoprel.predict.cascade import CascadePredictor
from shoprel.predict.languages import translated_only_tags, unseen_as_trained
from shoprel.predict.predictor import (
    Predictor,
    load_encoders,
    open_predictor,
    translated_languages,
)
from shoprel.serve.answers import (
    CONNECTION_NOTE,
    NOT_FOUND_NOTE,
    not_found_message,
    route_errors,
    score_errors,
    timeout_message,
)
from shoprel.serve.api_docs import add_docs
from shoprel.serve.batching import BatcherClosed, MicroBatcher
from shoprel.serve.client_gone import ClientLeft, unless_client_leaves
from shoprel.serve.guards import SCHEMA_PATH, RequestGuards, sends_key
from shoprel.serve.head_requests import HeadAsGet
from shoprel.serve.key_scheme import publish_key_scheme
from shoprel.serve.limits import BodySizeLimit
from shoprel.serve.metrics import CLIENT_CLOSED, CONTENT_TYPE, MetricsMiddleware, ServeMetrics
from shoprel.serve.repeated_keys import KeysCheckedRoute
from shoprel.serve.schemas import (
    ErrorResponse,
    Health,
    ModelInfo,
    Ready,
    ScoreResponse,
    score_request_model,
)
from shoprel.serve.settings import QUIET_ENV, RUN_DIR_ENV, ServeSettings
from shoprel.serve.translation import QueryTranslation, RegionFallbackWarning
from shoprel.serve.unparsable import UNPARSABLE_BODY, unparsable_body_message
from shoprel.serve.validation_errors import validation_error_body
from shoprel.utils.progress import quiet_while, whole_notes


def model_info(predictor: Predictor | CascadePredictor, run_dir: str | Path) -> ModelInfo:
    """`name` is the folder served (run_dir's own name, `serve .` too): the name run.json
    recorded at training named a run moved or copied since by the folder it left."""
    return ModelInfo(name=Path(os.path.abspath(Path(run_dir).expanduser())).name,
                     trained_name=predictor.run.name, task=predictor.task.value,
                     family=str(predictor.run.manifest.get("model_family", "unknown")),
                     version=predictor.run.version, scorer=predictor.scorer)


def pairs_to_rows(pairs, task: Task) -> pd.DataFrame:
    """Request pairs as PairFrame columns; the id column is positional (models ignore it)."""
    target = task.target_column
    return pd.DataFrame({
        "id": np.arange(len(pairs), dtype=np.int64),
        "language": [language_tag(p.language) for p in pairs],
        "query": [p.query for p in pairs],
        "target": [getattr(p, target) for p in pairs],
    })


TRAINED_LANGUAGE = "language_as_trained"  # a queued row's tag as the run scores it


def queued_rows(parts: list[list[tuple]], task: Task,
                predictor: Predictor | CascadePredictor, translated: bool) -> pd.DataFrame:
    """A batch's frame, made in the scoring thread from its slices of (pair, translated query)
    as the requests queued them: made on the event loop, each request's frame let go of the
    GIL many times (pandas' text columns, numpy), and the loop then waited up to 5 ms each
    time for the scoring thread to hand it back, with /healthz and every other request
    waiting behind it. `translated`: the run reads a translation column."""
    queued = [item for part in parts for item in part]
    rows = pairs_to_rows([pair for pair, _ in queued], task)
    if translated:
        rows = rows.assign(**{TRANSLATION: [text for _, text in queued]})
    return with_trained_languages(predictor, task, rows)


def with_trained_languages(predictor: Predictor | CascadePredictor, task: Task,
                           rows: pd.DataFrame) -> pd.DataFrame:
    """A request's rows plus their tags as the run scores them ('pt_br' as 'pt'): mapped once,
    here, for both its new-language counts and its scoring (scores_and_cuts), not again."""
    trained = predictor.as_trained(PairFrame(task, rows)).df["language"]
    return rows.assign(**{TRAINED_LANGUAGE: trained})


# a batch's scores, one record a pair: the batcher slices and joins them by rows
SCORED = np.dtype([("probability", float), ("cut", float), ("trained", object)])


def scores_and_cuts(predictor: Predictor | CascadePredictor, task: Task,
                    rows: pd.DataFrame) -> np.ndarray:
    """A batch's probabilities, cuts and tags as the run scored them, as the three fields of
    one record array (SCORED; the batcher slices it by rows): the cuts are worked out once per
    batch, with the probabilities (a cascade needs them to move its student's scores), not
    again for each request; the tags are the request's to count new languages by. `rows`: as
    with_trained_languages made them; the tags as sent stay in the frame (a cascade whose
    student trained on other languages maps them its own way)."""
    frame = PairFrame(task, rows.drop(columns=TRAINED_LANGUAGE))
    trained = PairFrame(task, frame.df.assign(language=rows[TRAINED_LANGUAGE]))
    probabilities, cuts = predictor.probabilities_and_cuts(frame, trained)
    scored = np.empty(len(rows), dtype=SCORED)
    scored["probability"], scored["cut"] = probabilities, cuts
    scored["trained"] = rows[TRAINED_LANGUAGE].to_numpy()
    return scored


def counted_scores_and_cuts(predictor: Predictor | CascadePredictor, task: Task,
                           rows: pd.DataFrame, metrics: ServeMetrics) -> np.ndarray:
    """scores_and_cuts, counting the pairs a cascade's full model rescored in this batch (its
    `rescored` grows as it scores; the batcher calls this on its one thread, so the growth
    is this batch's)."""
    before = getattr(predictor, "rescored", 0)
    scored = scores_and_cuts(predictor, task, rows)
    metrics.rescored_pairs.inc(getattr(predictor, "rescored", 0) - before)
    return scored


def split_scores_and_cuts(scored: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scores_and_cuts' fields apart: probabilities, cuts, tags as trained (a request holds
    at least one pair, so the batcher never answers it with its plain empty array)."""
    return scored["probability"], scored["cut"], scored["trained"]


def open_served_predictor(run_dir: str | Path,
                          settings: ServeSettings) -> Predictor | CascadePredictor:
    """What an app scores with: the one place that reads the settings for it, so the check
    before `--workers N` start opens exactly what each worker will."""
    return open_predictor(run_dir, settings.index_dirs, settings.recent_texts,
                          settings.scorer, settings.cascade_share)


def create_app(run_dir: str | Path, settings: ServeSettings | None = None,
               warn: bool = True) -> FastAPI:
    """Load the run once (errors surface here, before any port is opened) and wire the API.
    `warn`: a recorded translator lacking the regional pair it is asked for is said as a
    RegionFallbackWarning (warnings.warn), as `shoprel serve` says it in a `warning:` line;
    False leaves it to the caller (app.state.translation.region_fallback), as serve does."""
    settings = settings or ServeSettings()
    predictor = open_served_predictor(run_dir, settings)
    load_encoders(predictor)  # /readyz then means the first new query waits for no loading
    known_languages = predictor.training_languages()
    translated = translated_languages(predictor.run)  # languages it saw only translated
    task = predictor.task
    info = model_info(predictor, run_dir)
    translation = QueryTranslation(predictor, cache=settings.translator_cache)
    if warn and translation.region_fallback:
        warnings.warn(translation.region_fallback, RegionFallbackWarning, stacklevel=2)
    metrics = ServeMetrics(embedding_counts=predictor.embedding_counts)
    batcher = MicroBatcher(lambda rows: counted_scores_and_cuts(predictor, task, rows, metrics),
                           settings.max_batch_pairs, settings.max_wait_ms,
                           on_batch=lambda n: (metrics.model_calls.inc(),
                                               metrics.batch_pairs.observe(n)),
                           on_retry=lambda calls: (metrics.batches_retried.inc(),
                                                   metrics.model_calls_retried.inc(calls)),
                           slice_pairs=settings.slice_pairs,
                           join=lambda parts: queued_rows(parts, task, predictor,
                                                          translation.wanted))
    ScoreRequest = score_request_model(task, settings)  # noqa: N806  (a class)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await batcher.start()
        yield
        await batcher.close()  # uvicorn has let in-flight requests finish by now
        translation.close()

    app = FastAPI(
        title="shoprel relevance API",
        version=shoprel.__version__,
        # the API's shape and limits, not the run's name (by default its folder's): the
        # schema and /docs answer without the key (guards.OPEN_PATHS)
        description=f"Scores query/{task.target_column} pairs with a {task.value} run (each "
                    f"answer's model names it). Limits: {settings.max_pairs:,} pairs per "
                    f"request, {settings.max_text_chars:,} characters per text, "
                    f"{settings.max_total_chars:,} characters per request in all, "
                    f"{settings.max_body_bytes:,} bytes per body. {NOT_FOUND_NOTE} "
                    f"{CONNECTION_NOTE}",
        lifespan=lifespan,
        redirect_slashes=False,  # a 404 naming the path instead (not_found_message)
        openapi_url=SCHEMA_PATH, docs_url=None, redoc_url=None,  # add_docs: pages offline
    )
    app.router.route_class = KeysCheckedRoute  # a body's repeated key is refused, not dropped
    app.state.predictor = predictor
    app.state.batcher = batcher
    app.state.metrics = metrics
    app.state.settings = settings
    app.state.translation = translation
    app.add_middleware(HeadAsGet)  # innermost: the guards and the metrics see HEAD
    app.add_middleware(BodySizeLimit, settings=settings)
    app.add_middleware(RequestGuards, settings=settings)  # before any body is read
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees every answer

    publish_key_scheme(app, settings)
    add_docs(app, settings)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return JSONResponse(validation_error_body(exc.errors(), task, exc.body,
                                                          ScoreRequest), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        """404, 405...: the same {error, detail} shape as every error (a 404 of a route's
        path with a trailing slash names the path). A body FastAPI cannot
        even decode (not UTF-8, nested past the parser's depth) is malformed JSON like any
        other: 422, as the README promises, not FastAPI's bare 400, saying which it was."""
        if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
            return JSONResponse({"error": unparsable_body_message(exc.__cause__), "detail": []},
                                status_code=422)
        message = str(exc.detail)
        if exc.status_code == 404:
            message = not_found_message(request.url.path, [route.path for route in app.routes])
        return JSONResponse({"error": message, "detail": []},
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def server_fault(request: Request, exc: Exception):
        """A fault of ours (e.g. the model failed): logged by uvicorn, answered in JSON."""
        return JSONResponse({"error": f"internal error ({type(exc).__name__})", "detail": []},
                            status_code=500)

    @app.exception_handler(BatcherClosed)
    async def shutting_down(request: Request, exc: BatcherClosed):
        return JSONResponse({"error": str(exc), "detail": []}, status_code=503)

    @app.post("/v1/score", response_model=ScoreResponse,
              responses={200: {"description": "Each pair's probability and 0/1 label, in the "
                                              "order sent."}, **score_errors(settings)},
              summary=f"Score query/{task.target_column} pairs")
    async def score(body: ScoreRequest, request: Request) -> ScoreResponse:
        pairs = body.pairs  # queued as they are: the batch's frame is queued_rows'
        translations, bare = await translation.fill(
            [p.query for p in pairs], [language_tag(p.language) for p in pairs],
            [p.translated_query for p in pairs]) if translation.wanted else (None, 0)
        queued = list(zip(pairs, translations or [None] * len(pairs), strict=True))
        try:
            probabilities, cuts, trained = split_scores_and_cuts(await unless_client_leaves(
                request.receive, batcher.score(queued), settings.request_timeout_s))
        except TimeoutError:
            return JSONResponse({"error": timeout_message(settings.request_timeout_s),
                                 "detail": []}, status_code=503)
        except ClientLeft:  # an answer nobody reads; /metrics counts it as the client's doing
            return Response(status_code=CLIENT_CLOSED)
        metrics.pairs.inc(len(pairs))
        unseen = unseen_as_trained(trained, known_languages)
        metrics.count_new_languages(unseen, translated_only_tags(list(unseen), translated))
        results = [{"id": i if p.id is None else p.id, "probability": float(prob),
                    "label": int(prob >= cut), "threshold": float(cut)}
                   for i, (p, prob, cut) in enumerate(zip(body.pairs, probabilities, cuts,
                                                          strict=True))]
        return ScoreResponse(results=results, threshold=predictor.threshold, model=info,
                             bare_queries=bare)

    @app.get("/healthz", summary="The process is alive (no API key needed)",
             responses={200: {"description": "Alive."}, **route_errors("/healthz", settings)})
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", summary="The model is loaded and requests are accepted (no API key "
                                "needed)", response_model=Ready,
             response_model_exclude_none=True,
             responses={200: {"description": "Ready, with the model it scores with (on a "
                                             "server with an API key, only to a request that "
                                             "sends the key)."},
                        503: {"model": ErrorResponse, "description": "Not ready yet (still "
                                                                     "starting) or stopping."},
                        **route_errors("/readyz", settings)})
    async def readyz(request: Request):
        if not batcher.running:
            return JSONResponse({"error": "not ready", "detail": []}, status_code=503)
        # a probe needs the status alone; the run's name, family and version are the key
        # holders' to read, as /docs and /openapi.json tell nobody the run's name
        if settings.api_key and not sends_key(request.headers.get("authorization", "").encode(
                "latin-1"), settings.api_key.encode()):
            return Ready(status="ready")
        return Ready(status="ready", model=info)

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response,
             responses={200: {"description": "Prometheus text format.",
                              "content": {CONTENT_TYPE: {"schema": {"type": "string"}}}},
                        **route_errors("/metrics", settings)})
    async def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes (`--workers N`), configured by the CLI's env; the
    worker stops when its supervisor is gone (serve/parent_watch.py)."""
    import os

    from shoprel.serve.parent_watch import watch_supervisor

    # the supervisor's process said the translator's warning once, before the workers started;
    # each worker says its encoders' loading notes, whole lines (as workers load at once),
    # none where serve runs under --quiet (the supervisor's own switch is not inherited)
    with quiet_while(os.environ.get(QUIET_ENV) == "1"), whole_notes():
        app = create_app(os.environ[RUN_DIR_ENV], ServeSettings.from_env(), warn=False)
    watch_supervisor()
    return app
