"""Score chunks of extract rows side by side in worker processes (config ``processing.workers``).

Once the client index, the weights and the name counts are built, chunks are independent: each
worker process receives that shared state once and then one chunk of rows at a time. Results come
back in chunk order, so the output does not depend on the number of workers. Workers are spawned,
not forked, so no thread or lock of the parent (rapidfuzz, BLAS, logging) is inherited half-held.
At most two chunks per worker are in flight, so memory stays bounded by the chunk size.

In a run of a few chunks (ChunkWorkers) the workers start when link() begins and do not wait for
the fit: a spawned process needs about half a second to start and import the matcher, then it
standardises, blocks and compares its first chunks (nothing of that needs the weights) while this
process fits the model, and this process scores chunks too once it has fitted. A long run
(map_chunks_shared) starts its workers after the fit and only hands chunks out.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

import numpy as np
import pandas as pd

#: the shared state of one worker process (set by _init: matcher, cl, index, then client_codes,
#: weights, freq) and the chunks it has prepared ahead, by chunk number
_STATE: dict[str, Any] = {}
_PREPARED: dict[int, Any] = {}
#: how often a worker checks that its parent still runs (seconds)
PARENT_CHECK_SECONDS = 0.5
#: chunks each worker prepares while the parent fits (held in its memory until scored)
AHEAD_PER_WORKER = 3
#: a run of fewer chunks than this starts its workers with the run and scores chunks in this
#: process too (ChunkWorkers); a longer one starts them after the fit, one per core, and this
#: process only hands chunks out (map_chunks_shared): there the second saved is nothing, and on
#: 4.8 million rows the shared scheme kept the process tree at 3.8 GB against 4.0-5.1 GB for the
#: others tried (this process scoring too, workers started early, workers kept to the end)
MAX_CHUNKS_SCORED_HERE = 16


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


def _warm() -> int:
    """Import what scoring a chunk needs and build the nickname index, while the parent fits; from
    now on end with the parent. Returns this worker's process id."""
    _exit_with_parent(os.getppid())
    from matchers import nicknames

    nicknames.max_roots()
    return os.getpid()


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone (killed with SIGKILL, say, which it cannot pass on).
    Otherwise the worker would wait for work forever, holding the client list in its memory: it
    holds a copy of the pipe it reads from, so it never sees that pipe close."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _init(state: dict[str, Any]) -> None:
    """Add to this worker's shared state (first the client list and index, then the weights)."""
    _STATE.update(state)


def _prepare(k: int, rows: pd.DataFrame) -> None:
    """Standardise, block and compare chunk ``k`` while the parent still fits (no weights yet)."""
    _PREPARED[k] = _STATE["matcher"]._prepare(rows, _STATE["cl"], _STATE["index"])


def _run(k: int, job: tuple[pd.DataFrame | None, np.ndarray]) -> tuple[pd.DataFrame, Any]:
    s = _STATE
    part, stats = s["matcher"]._link_chunk_alone(
        s["cl"], s["client_codes"], s["index"], s["weights"], s["freq"], *job, _PREPARED.pop(k, None)
    )
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
    """``workers`` spawned processes for a run of a few chunks, started with the run, each its own
    one-process pool, so what is sent to it (its state, then its chunks) reaches it in order.

    Before the fit (start) each worker gets the client list and index and prepares its first chunks
    (standardised, blocked, compared: all that needs no weights); after it (map_chunks) it gets the
    weights and scores them, then further chunks as it falls free, this process scoring chunks too.
    Use as a context manager: the processes end with the block, also when it raises, and as soon
    as the last chunk is scored. A long run uses map_chunks_shared instead.
    """

    def __init__(self, workers: int) -> None:
        """``workers`` processes besides this one."""
        context = multiprocessing.get_context("spawn")
        self.workers = workers
        self._pools = [ProcessPoolExecutor(1, mp_context=context) for _ in range(workers)]
        self._started = [pool.submit(_warm) for pool in self._pools]
        self._ahead: dict[int, int] = {}  # chunk -> the worker that prepared it

    def pids(self) -> list[int]:
        """The worker processes' ids (once they have started)."""
        return [started.result() for started in self._started]

    def __enter__(self) -> ChunkWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the worker processes (each holds the client list and index: gone before the parent
        goes on to its own peak, gathering every chunk's pairs)."""
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)

    def start(self, state: dict[str, Any], rows: Callable[[int], pd.DataFrame], chunks: int) -> None:
        """Send ``state`` (matcher, cl, index) and have each worker prepare its first chunks
        (rows(k): the rows of chunk k) while this process fits the model."""
        for pool in self._pools:
            pool.submit(_init, state)
        for k in range(min(chunks, AHEAD_PER_WORKER * len(self._pools))):
            w = k % len(self._pools)
            self._pools[w].submit(_prepare, k, rows(k))
            self._ahead[k] = w

    def map_chunks(
        self,
        state: dict[str, Any],
        job: Callable[[int, bool], tuple[pd.DataFrame | None, np.ndarray]],
        chunks: int,
        local: Callable[[tuple[pd.DataFrame | None, np.ndarray]], tuple[pd.DataFrame, Any]],
    ) -> Iterator[tuple[pd.DataFrame, Any]]:
        """(scored pairs, LinkStats of that chunk) for chunks 0 .. chunks-1, in chunk order.

        ``state`` adds client_codes, weights and freq (and the fitted matcher); job(k, rows) is
        (rows of chunk k or None, its record codes). A prepared chunk is scored by the worker that
        prepared it; every other one by the next process free: a worker with fewer than two chunks
        in hand, or this process itself (local(job): it has nothing else to do). At most two
        rounds of results wait for an earlier chunk, so memory stays bounded.
        """
        for pool in self._pools:
            pool.submit(_init, state)
        futures: dict[int, Future] = {}
        held: list[list[Future]] = [[] for _ in self._pools]
        for k, w in sorted(self._ahead.items()):
            futures[k] = self._pools[w].submit(_run, k, job(k, False))
            held[w].append(futures[k])
        todo = deque(k for k in range(chunks) if k not in self._ahead)
        ways = len(self._pools) + 1
        nxt = 0
        while nxt < chunks:
            for w, pool in enumerate(self._pools):
                held[w] = [f for f in held[w] if not f.done()]
                while todo and len(held[w]) < 2 and todo[0] - nxt < 2 * ways:
                    k = todo.popleft()
                    futures[k] = pool.submit(_run, k, job(k, True))
                    held[w].append(futures[k])
            while nxt < chunks and nxt in futures and futures[nxt].done():
                yield futures.pop(nxt).result()
                nxt += 1
            if nxt >= chunks:
                break
            if todo and todo[0] - nxt < 2 * ways:
                k = todo.popleft()
                futures[k] = Future()
                futures[k].set_result(local(job(k, True)))
            else:  # until the next result is in or a worker falls free for another chunk
                wait([futures[nxt], *(f for h in held for f in h)], return_when=FIRST_COMPLETED)
        self.close()


def _init_shared(state: dict[str, Any]) -> None:
    _exit_with_parent(os.getppid())
    _init(state)


def _run_shared(job: tuple[pd.DataFrame, np.ndarray]) -> tuple[pd.DataFrame, Any]:
    return _run(-1, job)


def map_chunks_shared(
    state: dict[str, Any], jobs: Iterable[tuple[pd.DataFrame, np.ndarray]], workers: int
) -> Iterator[tuple[pd.DataFrame, Any]]:
    """(scored pairs, LinkStats of that chunk) for each (rows, record codes) job, in job order, from
    ``workers`` processes started now sharing one queue (a long run: see MAX_CHUNKS_SCORED_HERE).

    ``state`` has matcher, cl, client_codes, index, weights and freq.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_shared, initargs=(state,)
    ) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append(pool.submit(_run_shared, job))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
