"""Gather concurrent requests into one model call: one call on many rows costs far less than
many calls on a few rows each.

The model runs in one worker thread, so the event loop keeps accepting requests meanwhile;
requests that arrive during a call form the next batch.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd


class BatcherClosed(RuntimeError):
    """The server is shutting down and takes no new work."""


@dataclass
class _Job:
    rows: pd.DataFrame
    future: asyncio.Future


class MicroBatcher:
    """Queue of scoring jobs; a background task drains it in batches.

    A batch holds at most max_batch_pairs rows (a larger single request goes alone, whole) and
    waits at most max_wait_ms after its first job for company.
    """

    def __init__(self, score_rows: Callable[[pd.DataFrame], np.ndarray], max_batch_pairs: int,
                 max_wait_ms: float, on_batch: Callable[[int], None] | None = None):
        self.score_rows = score_rows
        self.max_batch_pairs = max_batch_pairs
        self.max_wait = max_wait_ms / 1000
        self.on_batch = on_batch
        self.model_calls = 0
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

    async def score(self, rows: pd.DataFrame) -> np.ndarray:
        if not self.running:
            raise BatcherClosed("the server is shutting down")
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

    async def _collect(self) -> list[_Job]:
        loop = asyncio.get_running_loop()
        batch = [self._jobs.popleft()]
        size = len(batch[0].rows)
        deadline = loop.time() + self.max_wait
        while size < self.max_batch_pairs:
            if self._jobs:
                if size + len(self._jobs[0].rows) > self.max_batch_pairs:
                    break
                job = self._jobs.popleft()
                batch.append(job)
                size += len(job.rows)
                continue
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                break
        return batch

    async def _run(self, batch: list[_Job]) -> None:
        batch = [job for job in batch if not job.future.done()]  # timed out while queued
        if not batch:
            return
        rows = pd.concat([job.rows for job in batch], ignore_index=True)
        self.model_calls += 1
        if self.on_batch is not None:
            self.on_batch(len(rows))
        try:
            probabilities = await asyncio.get_running_loop().run_in_executor(
                self._executor, self.score_rows, rows)
        except Exception as exc:  # the requests fail (500); the server keeps going
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        start = 0
        for job in batch:
            end = start + len(job.rows)
            if not job.future.done():
                job.future.set_result(probabilities[start:end])
            start = end
