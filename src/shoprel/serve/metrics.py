"""Prometheus metrics, one registry per app so several apps (tests, workers) never collide.

With `--workers N` each worker process counts on its own; scrape each or run one worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from shoprel.augment.translator import is_language_tag
from shoprel.data.language_tags import base_language
from shoprel.data.validate import UNKNOWN_LANGUAGE
from shoprel.models.backbones.embedding_store import SOURCES

# HTTP's methods (RFC 9110, and PATCH): any other token a client sends as its method is "other",
# as an unknown path is; each label value is a series kept for the process's life
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
                           "PATCH"})
KNOWN_PATHS = {"/v1/score", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json",
               "/redoc"}
ERROR_KIND = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "body_too_large", 415: "unsupported_media_type", 422: "validation",
              499: "client_closed", 503: "unavailable"}
CLIENT_CLOSED = 499  # nginx's status for a request whose client left before the answer
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)

CONTENT_TYPE = CONTENT_TYPE_LATEST
LANGUAGE_LABELS = 50  # distinct languages a counter labels; past them, OTHER_LANGUAGE
UNTAGGED, OTHER_LANGUAGE = "untagged", "other"


def error_kind(status: int) -> str:
    return ERROR_KIND.get(status, "client_error" if status < 500 else "internal")


class EmbeddingSources:
    """Distinct texts embedding models took from each source (index, memory, disk, encoded),
    read from the models when scraped: `memory` are the in-process cache's hits."""

    def __init__(self, counts: Callable[[], dict[str, int]]):
        self.counts = counts

    def collect(self):
        family = CounterMetricFamily("shoprel_embedding_texts", "Distinct texts embedded, by "
                                     "where the vector came from.", labels=["source"])
        counts = self.counts()
        for source in SOURCES:
            family.add_metric([source], counts.get(source, 0))
        yield family


class LanguageLabels:
    """A pair's language as a label value: its base language, as predict's warnings group
    tags ('pt-BR', 'PT', 'pt_br' are 'pt': base_language), UNTAGGED for none, and
    OTHER_LANGUAGE for a tag that is no language tag or a language past the first `limit`.
    Clients choose the tags and each value is a series kept for the process's life: no raw
    tag becomes a label, and the values are at most limit + 2."""

    def __init__(self, limit: int = LANGUAGE_LABELS):
        self.limit = limit
        self.seen: set[str] = set()

    def __call__(self, tag: str) -> str:
        if not str(tag).strip() or tag == UNKNOWN_LANGUAGE:
            return UNTAGGED
        if not is_language_tag(tag):
            return OTHER_LANGUAGE
        base = base_language(tag)
        if base not in self.seen:
            if len(self.seen) >= self.limit:
                return OTHER_LANGUAGE
            self.seen.add(base)
        return base


class ServeMetrics:
    def __init__(self, embedding_counts: Callable[[], dict[str, int]] | None = None,
                 language_labels: int = LANGUAGE_LABELS):
        self.registry = CollectorRegistry()
        if embedding_counts is not None:
            self.registry.register(EmbeddingSources(embedding_counts))
        self.requests = Counter("shoprel_requests", "HTTP requests answered.",
                                ["path", "method", "status"], registry=self.registry)
        self.latency = Histogram("shoprel_request_latency_seconds", "Time to answer a request.",
                                 ["path"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.errors = Counter("shoprel_errors", "Requests answered with an error, by kind.",
                              ["kind"], registry=self.registry)
        self.pairs = Counter("shoprel_pairs_scored", "Pairs scored.", registry=self.registry)
        # by base language (LanguageLabels): clients choose the tags, and a label per raw
        # tag would let them grow the metric without bound. One labeller for both counters:
        # a language has one label in each, and the two hold at most limit + 2 values
        self.language_label = LanguageLabels(language_labels)
        labelled = (" Labelled by base language ('untagged'; 'other' past the first "
                    f"{language_labels} languages).")
        self.new_language_pairs = Counter(
            "shoprel_pairs_new_language", "Pairs scored in a language absent from the run's "
            "training file (or untagged): its cross-validation says nothing about them."
            + labelled, ["language"], registry=self.registry)
        # of those, the pairs in a language the run trained on only as translated rows
        # (augment.translate): predict's and Scorer's translated_only, counted apart
        self.translated_only_pairs = Counter(
            "shoprel_pairs_translated_only_language", "Of the new-language pairs, those in a "
            "language the run trained on only as translated rows (augment.translate)."
            + labelled, ["language"], registry=self.registry)
        # --scorer cascade: of the pairs scored, those the full model rescored (predict's
        # "it rescored N of the M rows"); 0 with any other scorer
        self.rescored_pairs = Counter(
            "shoprel_pairs_rescored", "Pairs the full model rescored after the student "
            "(--scorer cascade; 0 with any other scorer).", registry=self.registry)
        self.model_calls = Counter("shoprel_model_calls", "Batched calls to the model.",
                                   registry=self.registry)
        # a batched call that failed is made again for each request's slice alone
        # (serve/batching), so that only the request whose rows fail gets the 500
        self.batches_retried = Counter(
            "shoprel_batches_retried", "Batched model calls that failed with several "
            "requests in them, each request's slice then scored alone.", registry=self.registry)
        self.model_calls_retried = Counter(
            "shoprel_model_calls_retried", "Model calls made for one request's slice after its "
            "batch failed (not in shoprel_model_calls).", registry=self.registry)
        self.batch_pairs = Histogram("shoprel_batch_pairs", "Pairs per model call.",
                                     buckets=BATCH_BUCKETS, registry=self.registry)

    def count_new_languages(self, unseen: Mapping[str, int],
                            translated_only: Collection[str] = ()) -> None:
        """Pairs per tag the run did not train on, counted under their LanguageLabels; those
        of `translated_only` (tags of a language it saw only as translated rows) counted
        again, apart, under the same labels."""
        for tag, pairs in unseen.items():
            label = self.language_label(tag)
            self.new_language_pairs.labels(label).inc(pairs)
            if tag in translated_only:
                self.translated_only_pairs.labels(label).inc(pairs)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        path = path if path in KNOWN_PATHS else "other"
        method = method if method in KNOWN_METHODS else "other"
        self.requests.labels(path, method, str(status)).inc()
        self.latency.labels(path).observe(seconds)
        if status >= 400:
            self.errors.labels(error_kind(status)).inc()


class MetricsMiddleware:
    """Pure ASGI middleware: counts every answer, including 413s and unhandled failures."""

    def __init__(self, app, metrics: ServeMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500
        answered = gone = False

        async def recording_send(message):
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
            await send(message)

        async def watching_receive():
            nonlocal gone
            message = await receive()
            gone = gone or message["type"] == "http.disconnect"
            return message

        try:
            await self.app(scope, watching_receive, recording_send)
        finally:
            if gone and not answered:  # the client left before its answer: its doing, not ours
                status = CLIENT_CLOSED
            self.metrics.observe(scope.get("path", ""), scope.get("method", ""), status,
                                 time.perf_counter() - start)
