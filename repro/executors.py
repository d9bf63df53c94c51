"""Where training jobs run: in this process, a local process pool, a Ray cluster, or a simulated clock.

An executor takes submitted items (an evaluation already :class:`~repro.records.Ready`, or a
:class:`~repro.worker.TrainJob`) and hands them back one at a time as they finish. Only the
search process writes the cache: workers return results, they never touch the store.

The simulated executor runs nothing: it replays cached rows as if ``workers`` machines had
trained them, each busy for the row's recorded ``train_seconds``, and hands results back in
simulated finish order, so asynchronous strategies can be studied at the speed of a lookup.
"""

from __future__ import annotations

import heapq
import os
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import Any

from repro.errors import ReproError
from repro.records import Ready
from repro.registry import Registry
from repro.worker import JobResult, TrainJob, run_job

Item = Ready | TrainJob
Done = Ready | JobResult


class Executor(ABC):
    """``capacity`` items may be in flight; :meth:`wait` returns the next finished one with its tag."""

    capacity: int = 1

    @property
    @abstractmethod
    def now(self) -> float:
        """Seconds since the executor started (simulated seconds for the simulated executor)."""

    @abstractmethod
    def submit(self, tag: Any, item: Item) -> None:
        """Start ``item``; ``tag`` comes back with its result."""

    @abstractmethod
    def wait(self) -> tuple[Any, Done]:
        """The next finished item and its tag."""

    def describe(self) -> str:
        """Name and capacity, recorded with a run whose trajectory depends on them."""
        return f"{type(self).__name__}:{self.capacity}"

    def close(self) -> None:
        """Release workers."""


class _JobExecutor(Executor):
    """Real executors: ready items come back first, in submission order; jobs when they finish."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self._ready: deque[tuple[Any, Done]] = deque()

    @property
    def now(self) -> float:
        return time.perf_counter() - self.started

    def submit(self, tag: Any, item: Item) -> None:
        if isinstance(item, Ready):
            self._ready.append((tag, item))
        else:
            self._launch(tag, item)

    def wait(self) -> tuple[Any, Done]:
        return self._ready.popleft() if self._ready else self._next_job()

    @abstractmethod
    def _launch(self, tag: Any, job: TrainJob) -> None: ...

    @abstractmethod
    def _next_job(self) -> tuple[Any, JobResult]: ...


class InProcess(_JobExecutor):
    """Train in this process, one job at a time (the default; a search is then fully deterministic)."""

    def __init__(self, on_epoch: Any = None) -> None:
        super().__init__()
        self.on_epoch = on_epoch
        self._jobs: deque[tuple[Any, TrainJob]] = deque()

    def _launch(self, tag: Any, job: TrainJob) -> None:
        self._jobs.append((tag, job))

    def _next_job(self) -> tuple[Any, JobResult]:
        tag, job = self._jobs.popleft()
        return tag, run_job(job, self.on_epoch)


def _worker_init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


class LocalPool(_JobExecutor):
    """``workers`` processes on this machine; CUDA jobs are spread over the visible GPUs round-robin,
    ``workers`` / GPU count per GPU, and CPU jobs share the cores evenly."""

    def __init__(self, workers: int) -> None:
        import concurrent.futures
        import multiprocessing

        super().__init__()
        self.capacity = workers
        threads = max(1, (os.cpu_count() or 1) // workers)
        self._pool = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init, initargs=(threads,)
        )
        self._futures: dict[Any, tuple[int, Any]] = {}
        self._count = 0

    def _launch(self, tag: Any, job: TrainJob) -> None:
        job = _placed(job, self._count)
        self._futures[self._pool.submit(run_job, job)] = (self._count, tag)
        self._count += 1

    def _next_job(self) -> tuple[Any, JobResult]:
        import concurrent.futures

        done, _ = concurrent.futures.wait(self._futures, return_when=concurrent.futures.FIRST_COMPLETED)
        future = min(done, key=lambda f: self._futures[f][0])
        _, tag = self._futures.pop(future)
        return tag, future.result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def _placed(job: TrainJob, index: int) -> TrainJob:
    """Pin an ``auto``/``cuda`` job to one GPU, round-robin, when there are several."""
    import dataclasses

    import torch

    if job.device in ("auto", "cuda") and torch.cuda.device_count() > 1:
        return dataclasses.replace(job, device=f"cuda:{index % torch.cuda.device_count()}")
    return job


class RayExecutor(_JobExecutor):
    """Each job a Ray task (``gpus_per_job`` of a GPU when GPUs exist, else one CPU); results come
    back to this process, which alone writes the cache."""

    def __init__(self, workers: int, address: str | None = None, gpus_per_job: float = 1.0) -> None:
        try:
            import ray
        except ImportError:
            raise ReproError("--executor ray needs Ray: pip install 'ray[default]'") from None
        super().__init__()
        self._ray = ray
        if not ray.is_initialized():
            ray.init(
                address=address,
                num_cpus=None if address else workers,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        gpus = ray.cluster_resources().get("GPU", 0)
        self.capacity = workers
        resources = {"num_gpus": gpus_per_job} if gpus else {"num_cpus": 1}
        self._remote = ray.remote(**resources)(run_job)
        self._refs: dict[Any, tuple[int, Any]] = {}
        self._count = 0

    def _launch(self, tag: Any, job: TrainJob) -> None:
        self._refs[self._remote.remote(job)] = (self._count, tag)
        self._count += 1

    def _next_job(self) -> tuple[Any, JobResult]:
        done, _ = self._ray.wait(list(self._refs), num_returns=1)
        _, tag = self._refs.pop(done[0])
        return tag, self._ray.get(done[0])


class Simulated(Executor):
    """Replay cached rows as if ``workers`` machines trained them (event-driven, simulated seconds)."""

    def __init__(self, workers: int) -> None:
        self.capacity = workers
        self._clock = 0.0
        self._events: list[tuple[float, int, Any, Ready]] = []
        self._count = 0

    @property
    def now(self) -> float:
        return self._clock

    def submit(self, tag: Any, item: Item) -> None:
        if not isinstance(item, Ready):
            raise ReproError("the simulated executor only replays the cache; use --on-miss error (or another executor)")
        seconds = item.evaluation.train_seconds or 0.0  # invalid architectures cost no training
        heapq.heappush(self._events, (self._clock + seconds, self._count, tag, item))
        self._count += 1

    def wait(self) -> tuple[Any, Done]:
        finish, _, tag, item = heapq.heappop(self._events)
        self._clock = finish
        return tag, item


EXECUTORS: Registry[Any] = Registry("executor")
EXECUTORS.register("inprocess", lambda workers, **kw: InProcess(kw.get("on_epoch")))
EXECUTORS.register("pool", lambda workers, **kw: LocalPool(workers))
EXECUTORS.register("ray", lambda workers, **kw: RayExecutor(workers, kw.get("address"), kw.get("gpus_per_job", 1.0)))
EXECUTORS.register("simulated", lambda workers, **kw: Simulated(workers))


def make_executor(name: str, workers: int = 1, **options: Any) -> Executor:
    """The executor registered as ``name`` with ``workers`` slots (``inprocess`` always has one)."""
    return EXECUTORS.get(name)(workers, **options)
