"""Gather concurrent requests into one model call: one call on many rows costs far less than
many calls on a few rows each.

The model runs in one worker thread, so the event loop keeps accepting requests meanwhile;
requests that arrive during a call form the next batch. A big request is scored in slices, one
per batch, taken in turn with every other queued request: a one-pair request that arrives while
a big one is scored waits for the batch in progress, not for the whole big request.

A job's rows are whatever its caller queues (a frame, or a request's pairs): the batch's slices
become one frame in the scoring thread (`join`), once per batch, not on the event loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd


class BatcherClosed(RuntimeError):
    """The server is shutting down and takes no new work."""


@dataclass(eq=False)  # jobs are compared by identity (queue removal)
class _Job:
    rows: Sequence  # len() and slicing: a frame's rows, or a request's pairs
    future: asyncio.Future
    taken: int = 0  # rows handed to batches so far
    scored: list | None = None  # score_rows' answers for the slices so far, in order

    @property
    def remaining(self) -> int:
        return len(self.rows) - self.taken


@dataclass
class _Slice:
    job: _Job
    start: int
    stop: int


class MicroBatcher:
    """Queue of scoring jobs; a background task drains it in batches.

    A batch holds at most max_batch_pairs rows and at most slice_pairs rows of each queued job,
    oldest first; it waits at most max_wait_ms after its first job for company. score_rows
    answers one entry per row (a row of columns, if it returns more than probabilities) of
    what `join` makes of the batch's slices (default: frames concatenated), both in the
    scoring thread. on_batch(pairs) is told of each batch's model call; on_retry(calls) of
    each failed batch whose slices were then scored again one by one, with the calls made.
    """

    def __init__(self, score_rows: Callable[[pd.DataFrame], np.ndarray], max_batch_pairs: int,
                 max_wait_ms: float, on_batch: Callable[[int], None] | None = None,
                 slice_pairs: int | None = None,
                 join: Callable[[list[Sequence]], pd.DataFrame] | None = None,
                 on_retry: Callable[[int], None] | None = None):
        self.score_rows = score_rows
        self.join = join or joined_frames
        self.max_batch_pairs = max_batch_pairs
        self.slice_pairs = min(slice_pairs or max_batch_pairs, max_batch_pairs)
        self.max_wait = max_wait_ms / 1000
        self.on_batch = on_batch
        self.on_retry = on_retry
        self.model_calls = 0
        self.retried_batches = 0  # failed batches scored again slice by slice
        self.retried_calls = 0  # the model calls of those retries, not in model_calls
        self._jobs: deque[_Job] = deque()
        self._arrived: asyncio.Event | None = None
        self._closing = False
        self._task: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._closing

    async def start(self) -> None:
        self._arrived = asyncio.Event()
        self._closing = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shoprel-model")
        self._task = asyncio.create_task(self._drain_forever(), name="shoprel-batcher")

    async def score(self, rows: Sequence) -> np.ndarray:
        if not self.running:
            raise BatcherClosed("the server is shutting down")
        if len(rows) == 0:
            return np.zeros(0)
        job = _Job(rows, asyncio.get_running_loop().create_future())
        self._jobs.append(job)
        self._arrived.set()
        return await job.future

    async def close(self) -> None:
        """Stop taking work, finish every queued job, then stop the worker thread."""
        self._closing = True
        if self._arrived is not None:
            self._arrived.set()
        if self._task is not None:
            await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def _drain_forever(self) -> None:
        while True:
            if not self._jobs:
                if self._closing:
                    return
                self._arrived.clear()
                await self._arrived.wait()
                continue
            await self._run(await self._collect())

    async def _collect(self) -> list[_Slice]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        while True:
            queued = sum(job.remaining for job in self._jobs)
            if queued >= self.max_batch_pairs or self._closing:
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                break
        return self._take_slices()

    def _take_slices(self) -> list[_Slice]:
        """Up to slice_pairs rows of each queued job in arrival order while the batch has room;
        finished jobs leave the queue. No job takes more than a slice of a batch, so a request
        arriving now waits for one batch, whatever else is queued."""
        batch: list[_Slice] = []
        room = self.max_batch_pairs
        for job in list(self._jobs):
            if room == 0:
                break
            if job.future.done():  # timed out while queued
                self._jobs.remove(job)
                continue
            n = min(job.remaining, self.slice_pairs)
            if n > room:
                if job.remaining <= self.slice_pairs or not batch:
                    break  # a request that fits a slice is never cut; it leads the next batch
                n = room
            batch.append(_Slice(job, job.taken, job.taken + n))
            job.taken += n
            room -= n
            if job.remaining == 0:
                self._jobs.remove(job)
        return batch

    def _score_parts(self, parts: list[Sequence]) -> np.ndarray:
        """The batch joined and scored, both in the scoring thread (the one thread added, so
        no request waits on another thread's turn before it is queued)."""
        return self.score_rows(self.join(parts))

    async def _run(self, batch: list[_Slice]) -> None:
        """One model call for the batch. Where it fails and the batch holds several requests'
        slices, each slice is scored again on its own, so that only the requests whose own
        rows fail get the error (a 500): one request's rows that the join or the model
        cannot take failed every request batched with it. The retries are not counted as
        batches (on_batch), but apart (on_retry), so that an operator sees them."""
        batch = [part for part in batch if not part.job.future.done()]
        if not batch:
            return
        self.model_calls += 1
        if self.on_batch is not None:
            self.on_batch(sum(part.stop - part.start for part in batch))
        try:
            scored = await self._scored(batch)
        except Exception as exc:  # the requests fail (500); the server keeps going
            if len(batch) == 1:
                self._fail(batch, exc)
                return
            await self._retry_one_by_one(batch)
            return
        self._deliver(batch, scored)

    async def _retry_one_by_one(self, batch: list[_Slice]) -> None:
        """Each slice of a failed batch scored alone (a batch holds one slice of each of its
        requests): its scores, or its own error, to its request."""
        calls = 0
        try:
            for part in batch:
                if part.job.future.done():
                    continue
                calls += 1
                try:
                    own = await self._scored([part])
                except Exception as own_error:
                    self._fail([part], own_error)
                    continue
                self._deliver([part], own)
        finally:
            self.retried_batches += 1
            self.retried_calls += calls
            if self.on_retry is not None:
                self.on_retry(calls)

    async def _scored(self, batch: list[_Slice]) -> np.ndarray:
        parts = [part.job.rows[part.start:part.stop] for part in batch]
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._score_parts, parts)

    def _fail(self, batch: list[_Slice], exc: Exception) -> None:
        """The slices' requests get the error, and leave the queue (their other slices go
        unscored)."""
        for part in batch:
            if not part.job.future.done():
                part.job.future.set_exception(exc)
            if part.job in self._jobs:
                self._jobs.remove(part.job)

    def _deliver(self, batch: list[_Slice], probabilities: np.ndarray) -> None:
        """Each slice's share of the scores to its request, answered once its last slice is
        in."""
        start = 0
        for part in batch:
            end = start + part.stop - part.start
            job = part.job
            job.scored = [*(job.scored or []), probabilities[start:end]]
            if part.stop == len(job.rows) and not job.future.done():
                job.future.set_result(np.concatenate(job.scored))
            start = end


def joined_frames(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The default join: the slices' frames as one, indexed from 0."""
    return pd.concat(parts, ignore_index=True)
