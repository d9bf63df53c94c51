"""Training jobs as plain data, and the function a worker runs on one, in whatever process executes it.

Executors ship a :class:`TrainJob` to a worker and bring back a :class:`JobResult`; only the search
process turns results into cache rows, so workers never touch the store.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from repro import provenance
from repro.data import DataBundle, load_dataset
from repro.data.datasets import get_spec
from repro.recipe import Recipe
from repro.records import Request


@dataclass(frozen=True)
class TrainJob:
    """Everything a worker needs to train one candidate, as plain data (it may run in another process)."""

    request: Request
    space: str
    space_config: dict[str, Any]
    genome_json: str
    recipe_json: str
    device: str
    data_root: str | None


@dataclass(frozen=True)
class JobResult:
    """What a worker sends back: ``kind`` is ``train``, ``failed`` (training broke down) or ``oom``."""

    request: Request
    kind: str
    device: str
    outcome: Any = None
    reason: str | None = None
    data_fingerprint: str | None = None
    """The fingerprint of the data the job read (:func:`repro.data.datasets.fingerprint`)."""


@functools.lru_cache(maxsize=4)
def _data(
    dataset: str, root: str | None, val_size: int, split_seed: int, train_size: int | None, test_size: int | None
) -> DataBundle:
    """The recipe's data, loaded once per worker process (a pure replay never reads it)."""
    return load_dataset(
        dataset, root, val_size=val_size, split_seed=split_seed, train_size=train_size, test_size=test_size
    )


def run_job(job: TrainJob, on_epoch: Callable[[int], None] | None = None) -> JobResult:
    """Train one candidate; runs in any process, since everything it needs comes with the job."""
    import torch

    from repro import trainer
    from repro.spaces import get_space

    space = get_space(job.space, **job.space_config)
    recipe = Recipe.from_json(job.recipe_json)
    genome = space.from_json(job.genome_json)
    spec = get_spec(recipe.dataset)
    data = _data(recipe.dataset, job.data_root, recipe.val_size, recipe.split_seed, recipe.train_size, recipe.test_size)
    device = trainer.pick_device(job.device)
    name = provenance.device_name(device)

    def make_model() -> Any:
        return space.build(genome, spec.input_shape, spec.num_classes, **recipe.model_options)

    try:
        outcome = trainer.fit(make_model, data, recipe, job.request.train_seed, device, on_epoch=on_epoch)
    except trainer.TrainingFailed as exc:
        return JobResult(job.request, "failed", name, reason=exc.reason, data_fingerprint=data.fingerprint)
    except torch.cuda.OutOfMemoryError as exc:
        return JobResult(job.request, "oom", name, reason=f"CUDA out of memory on {name}: {str(exc).splitlines()[0]}")
    return JobResult(
        job.request, "train", f"{name}; {outcome.engine}", outcome=outcome, data_fingerprint=data.fingerprint
    )
