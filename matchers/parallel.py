"""Score chunks of extract rows side by side in worker processes (config ``processing.workers``).

Once the client index, the weights and the name counts are built, chunks are independent: each
worker process receives that shared state once and then one chunk of rows at a time. Results come
back in chunk order, so the output does not depend on the number of workers. Workers are spawned,
not forked, so no thread or lock of the parent (rapidfuzz, BLAS, logging) is inherited half-held.
At most two chunks per worker are in flight, so memory stays bounded by the chunk size.

The workers are started when link() begins (ChunkWorkers), before that state exists: a spawned
process needs about half a second to start and import the matcher, and it spends it while this
process standardises the client list and fits the model, not after.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

#: the shared state of one worker process (set once by _init)
_STATE: tuple[Any, ...] | None = None


#: with ``processing.workers: 0`` (automatic), rows each process must get for a run to be split
#: over the cores. A worker starts with cold caches and its start-up takes a core from the fit:
#: on two cores, 18,000 and 23,500 rows ran 0.4-0.6 s slower split, 62,000 and 100,000 rows
#: 0.2-0.4 s faster (benchmarks/match_vs_splink.py)
MIN_ROWS_PER_PROCESS = 25_000


def worker_count(configured: int, rows: int | None = None) -> int:
    """Processes that score chunks, this one included: ``configured``, never more than the cores
    there are; 0 means automatic: one per core, as long as each gets MIN_ROWS_PER_PROCESS of the
    run's ``rows``."""
    cores = os.cpu_count() or 1
    if configured > 0:
        return min(configured, cores)
    if rows is None:
        return cores
    return max(1, min(cores, rows // MIN_ROWS_PER_PROCESS))


def chunk_rows(rows: int, chunk_size: int, processes: int) -> int:
    """Rows per chunk: at most ``chunk_size``, and chunks of one size in a number the processes
    share evenly (23,540 rows on two processes: two chunks of 11,770, not 20,000 and 3,540)."""
    if rows == 0:
        return chunk_size
    chunks = -(-rows // chunk_size)
    chunks = -(-chunks // processes) * processes
    return -(-rows // chunks)


def _warm() -> None:
    """Import what scoring a chunk needs and build the nickname index, while the parent fits."""
    from matchers import nicknames

    nicknames.max_roots()


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


class ChunkWorkers:
    """``workers`` spawned processes, started now and given their shared state later (map_chunks).

    Each process is its own one-process pool, so the state sent to it is certain to reach it before
    its chunks (a shared pool hands a job to whichever process is free). Chunks go round in turn;
    they are of one size, so no process waits long on another. Use as a context manager: the
    processes end with the block, also when it raises.
    """

    def __init__(self, workers: int) -> None:
        """``workers`` processes besides this one."""
        context = multiprocessing.get_context("spawn")
        self.workers = workers
        self._pools = [ProcessPoolExecutor(1, mp_context=context) for _ in range(workers)]
        for pool in self._pools:
            pool.submit(_warm)

    def __enter__(self) -> ChunkWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)

    def map_chunks(
        self,
        state: tuple[Any, ...],
        jobs: Iterable[tuple[pd.DataFrame, np.ndarray]],
        local: Callable[[tuple[pd.DataFrame, np.ndarray]], tuple[pd.DataFrame, Any]] | None = None,
    ) -> Iterator[tuple[pd.DataFrame, Any]]:
        """(scored pairs, LinkStats of that chunk) for each (rows, record codes) job, in job order.

        ``state`` is (matcher, client table, client codes, client index, weights, name frequencies).
        With ``local``, this process scores one chunk in each round itself (local(job)) while the
        workers score theirs: it has nothing else to do, and its caches are warm from the fit.
        """
        for pool in self._pools:
            pool.submit(_init, state)
        ways = len(self._pools) + (local is not None)
        pending: deque[Future] = deque()
        for k, job in enumerate(jobs):
            slot = k % ways
            if slot < len(self._pools):
                pending.append(self._pools[slot].submit(_run, job))
            else:
                done: Future = Future()
                done.set_result(local(job))
                pending.append(done)
            while pending and (len(pending) >= 2 * ways or pending[0].done()):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
