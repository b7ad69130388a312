"""Score chunks of extract rows side by side in worker processes (config ``processing.workers``).

Once the client index, the weights and the name counts are built, chunks are independent: each
worker process receives that shared state once and then one chunk of rows at a time. Results come
back in chunk order, so the output does not depend on the number of workers. Workers are spawned,
not forked, so no thread or lock of the parent (rapidfuzz, BLAS, logging) is inherited half-held.
At most two chunks per worker are in flight, so memory stays bounded by the chunk size.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

#: the shared state of one worker process (set once by _init)
_STATE: tuple[Any, ...] | None = None


#: with ``processing.workers: 0`` (automatic), chunks each worker process must have to be started:
#: a spawned process takes about as long to start and import the matcher as one chunk takes in this
#: process, and the two cores may be shared, so a run of a few chunks is faster without them
#: (100,000 rows, 5 chunks: 9 s in-process against 17 s with two workers on a loaded 2-core machine)
MIN_CHUNKS_PER_WORKER = 4


def worker_count(configured: int, chunks: int | None = None) -> int:
    """``configured`` workers, never more than the cores there are; 0 means automatic: one per core,
    and for a run of ``chunks`` chunks no more than have MIN_CHUNKS_PER_WORKER chunks each."""
    cores = os.cpu_count() or 1
    if configured > 0:
        return min(configured, cores)
    if chunks is None:
        return cores
    return max(1, min(cores, chunks // MIN_CHUNKS_PER_WORKER))


def _init(state: tuple[Any, ...]) -> None:
    global _STATE
    _STATE = state


def _run(job: tuple[pd.DataFrame, np.ndarray]) -> tuple[pd.DataFrame, Any]:
    matcher, cl, client_codes, index, weights, freq = _STATE
    part, stats = matcher._link_chunk_alone(cl, client_codes, index, weights, freq, *job)
    stats.worker_peak_kib = peak_kib()
    return part, stats


def peak_kib() -> int:
    """This process's peak resident memory since it started (VmHWM), in KiB; 0 where unknown."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def map_chunks(
    state: tuple[Any, ...], jobs: Iterable[tuple[pd.DataFrame, np.ndarray]], workers: int
) -> Iterator[tuple[pd.DataFrame, Any]]:
    """(scored pairs, LinkStats of that chunk) for each (rows, record codes) job, in job order.

    ``state`` is (matcher, client table, client codes, client index, weights, name frequencies).
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(state,)) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append(pool.submit(_run, job))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
