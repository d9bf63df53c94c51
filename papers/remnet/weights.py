"""The REMNet authors' published REMNet-128 weights, evaluated by our builder and data pipeline.

    python -m papers.remnet.weights [--device cuda] [--limit N] [--json OUT.json] [--write-record]

The authors published their trained REMNet-128 (``artefacts/``, MIT, see ``artefacts/README.md``).
Loaded by order and shape (:func:`repro.weights.load_by_order`) into the network our builder makes
from :data:`repro.spaces.remnet.known.REMNET` at 128 channels, and fed the test images normalised as
the authors' code does (mean 0.1307, standard deviation 0.3081), it should reach the paper's
94.26%. One number then checks the layer order, kernel and pooling semantics, the order of
activation and normalisation, the head and the data pipeline together. Each control changes one
convention and shows how far the same weights fall, so a reader sees the check can fail.

The evaluation takes a minute on 2 idle cores (294M multiply-adds per image) and several under
load, too slow for every ``repro regress``. So it is kept as a record with its provenance
(``artefacts/evaluation.json``, written by ``--write-record`` after review), from which the claim is
read; ``tests/test_remnet_weights.py`` recomputes it (all 10,000 images in a ``slow`` test, the
first few hundred in a fast one) and compares the predictions image by image.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from papers.remnet.reproduce import HERE
from papers.replay import read_reported
from repro import provenance
from repro.claims import Measured
from repro.data import load_dataset
from repro.data.datasets import find_files, get_spec, resolve_root
from repro.errors import ReproError
from repro.spaces import get_space
from repro.spaces.remnet.known import REMNET
from repro.trainer import EVAL_BATCH, EVAL_BATCH_CUDA
from repro.weights import file_sha256, load_by_order, read_state_dict

ARTEFACTS = HERE / "artefacts"
WEIGHTS = ARTEFACTS / "remnet128_state_9426.dict"
WEIGHTS_SHA256 = "285b8a608bad90e6e3e5a7a4387d523196df4b2c48097fa4da163f0e3f251521"
SOURCE = "GeorgeKyriakides/nord, branch AIAI2020 (commit 335a9f4), nord/best_architecture_state_128CH_9426.dict"
RECORD = ARTEFACTS / "evaluation.json"
CLAIM_ID = "remnet128_published_weights_test_acc"
AUTHORS_NORMALIZE = (0.1307, 0.3081)
"""The authors' test transform (nord/neural_nets/data_curators.py, get_fashion_mnist_partial): MNIST's statistics."""
CONTROL_IMAGES = 2000
"""Controls are evaluated on the first 2,000 test images (a fifth of the cost each), beside the authors' conventions on the same images."""


def allowed_differences(n: int) -> int:
    """Predictions that may differ between two evaluations of ``n`` images on different machines or devices.

    Float sums run in another order on another CPU or on a GPU; an image whose two best logits lie
    within that rounding can flip. One image, plus one in 2,000.
    """
    return 1 + n // 2000


def _norm_first(model: nn.Module) -> nn.Module:
    """Every convolution block as Conv -> BatchNorm -> ReLU6 instead of the authors' Conv -> ReLU6 -> BatchNorm."""
    for key, block in model.layers.items():
        if isinstance(block, nn.Sequential) and isinstance(block[0], nn.Conv2d):
            conv, act, norm, drop = block
            model.layers[key] = nn.Sequential(conv, norm, act, drop)
    return model


def _head_relu(model: nn.Module) -> nn.Module:
    """A ReLU between the head's linear layers (the authors' head has none)."""
    flatten, first, second, last = model.head
    model.head = nn.Sequential(flatten, first, nn.ReLU(), second, nn.ReLU(), last)
    return model


@dataclass(frozen=True)
class Convention:
    """How the network is built and fed: the genome, the width, the input normalisation, a change to the built net."""

    name: str
    genome: str = REMNET
    channels: int = 128
    normalize: tuple[float, float] = AUTHORS_NORMALIZE
    alter: Callable[[nn.Module], nn.Module] | None = None


AUTHORS = Convention("the authors' conventions (our builder as it is)")
CONTROLS = (
    Convention("no input normalisation (pixels in [0, 1])", normalize=(0.0, 1.0)),
    Convention("Fashion-MNIST's own mean and sd (0.2860, 0.3530)", normalize=(0.2860, 0.3530)),
    Convention("BatchNorm before ReLU6 in every convolution block", alter=_norm_first),
    Convention("a ReLU between the head's linear layers", alter=_head_relu),
    Convention("max instead of average pooling in POOL_5", genome=REMNET.replace("POOL_5.A", "POOL_5.M")),
    Convention("built at 256 channels", channels=256),
)


def network(convention: Convention, state: dict[str, torch.Tensor]) -> nn.Module:
    """The network of ``convention`` with the published weights loaded, in evaluation mode (ReproError if they do not fit)."""
    space = get_space("remnet")
    model = space.build(space.from_json(convention.genome), (1, 28, 28), 10, channels=convention.channels)
    load_by_order(model, state, "the authors' REMNet-128")
    if convention.alter is not None:
        model = convention.alter(model)
    return model.eval()


def predict(model: nn.Module, images: torch.Tensor, normalize: tuple[float, float], device: str) -> torch.Tensor:
    """Predicted classes of ``images`` (N×1×28×28 in [0, 1]), normalised with ``normalize``, on ``device``."""
    mean, std = normalize
    model = model.to(device).to(memory_format=torch.channels_last)
    batch = EVAL_BATCH_CUDA if device.startswith("cuda") else EVAL_BATCH
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            x = ((images[start : start + batch] - mean) / std).to(device).contiguous(memory_format=torch.channels_last)
            out.append(model(x).argmax(1).cpu())
    return torch.cat(out)


def digits(predictions: torch.Tensor) -> str:
    """Predicted classes as one string of digits (how the record stores them)."""
    return "".join(str(int(p)) for p in predictions)


def _accuracy(correct: int, n: int) -> float:
    return round(100 * correct / n, 4)


def measure(device: str = "cpu", limit: int | None = None, data_root: str | None = None) -> dict[str, Any]:
    """Evaluate the published weights under the authors' conventions and every control: the record.

    Uses every core this process may run on. ``limit`` evaluates only the first ``limit`` test images.
    """
    state = read_state_dict(WEIGHTS, WEIGHTS_SHA256)
    data = load_dataset("fashion-mnist", data_root, test_size=limit)
    root = resolve_root("fashion-mnist", data_root)
    files, _ = find_files(get_spec("fashion-mnist"), root)
    images, labels = data.test.x, data.test.y
    code_version, created_at = provenance.code_version(), provenance.now().isoformat(timespec="seconds")
    threads = torch.get_num_threads()
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    try:
        started = time.perf_counter()
        preds = predict(network(AUTHORS, state), images, AUTHORS.normalize, device)
        seconds = time.perf_counter() - started
        device_name = provenance.device_name(device)
        n_control = min(CONTROL_IMAGES, len(labels))
        authors_on_control = int((preds[:n_control] == labels[:n_control]).sum())
        controls = []
        for convention in CONTROLS:
            entry: dict[str, Any] = {"name": convention.name}
            try:
                model = network(convention, state)
            except ReproError as exc:
                controls.append({**entry, "loads": False, "error": str(exc)})
                continue
            started_control = time.perf_counter()
            found = predict(model, images[:n_control], convention.normalize, device)
            correct = int((found == labels[:n_control]).sum())
            controls.append(
                {
                    **entry,
                    "loads": True,
                    "images": n_control,
                    "correct": correct,
                    "accuracy": _accuracy(correct, n_control),
                    "seconds": time.perf_counter() - started_control,
                    "predictions": digits(found),
                }
            )
    finally:
        torch.set_num_threads(threads)
    correct = int((preds == labels).sum())
    return {
        "claim": CLAIM_ID,
        "weights": {"file": WEIGHTS.name, "sha256": WEIGHTS_SHA256, "source": SOURCE, "licence": "MIT (LICENSE.nord)"},
        "genome": REMNET,
        "channels": AUTHORS.channels,
        "normalize": list(AUTHORS.normalize),
        "dataset": "fashion-mnist",
        "test_files_sha256": {files[k].name: file_sha256(files[k]) for k in ("test_images", "test_labels")},
        "images": len(labels),
        "correct": correct,
        "accuracy": _accuracy(correct, len(labels)),
        "seconds": seconds,
        "device": device_name,
        "code_version": code_version,
        "libraries": provenance.library_versions(),
        "created_at": created_at,
        "predictions": digits(preds),
        "control_images": n_control,
        "authors_on_control": {"correct": authors_on_control, "accuracy": _accuracy(authors_on_control, n_control)},
        "controls": controls,
    }


def stored_record() -> dict[str, Any] | None:
    """The accepted evaluation record (``artefacts/evaluation.json``), or None when there is none."""
    return json.loads(RECORD.read_text()) if RECORD.exists() else None


def differences(found: str, recorded: str) -> int:
    """How many predictions of ``found`` differ from the first ``len(found)`` of ``recorded``."""
    return sum(a != b for a, b in zip(found, recorded[: len(found)], strict=True))


def measurement() -> list[Measured]:
    """Our value for the published-weights claim, read from the record (empty when there is none)."""
    record = stored_record()
    if record is None:
        return []
    return [
        Measured(
            CLAIM_ID,
            "weights",
            record["accuracy"],
            f"{record['correct']:,} of {record['images']:,} test images; the authors' weights loaded into our builder's "
            f"REMNet-128, inputs normalised with {tuple(record['normalize'])}; not a training result of ours",
            f"record papers/remnet/artefacts/evaluation.json: {record['seconds']:.0f}s on {record['device']}, code "
            f"{record['code_version']}, {record['libraries']}, {record['created_at']}; weights sha256 "
            f"{record['weights']['sha256'][:12]}; recomputed by tests/test_remnet_weights.py",
        )
    ]


def reported_value() -> float:
    """The paper's REMNet-128 test accuracy (Table 2), as ``reported.toml`` holds it."""
    return next(c["value"] for c in read_reported(HERE)["claim"] if c["id"] == CLAIM_ID)


def summary_lines(record: dict[str, Any], reported: float) -> list[str]:
    """The record as a markdown section: the claim, then the controls table."""
    authors = record["authors_on_control"]
    lines = [
        f"REMNet-128 with the authors' published weights ({record['weights']['source']}; MIT), loaded by order and "
        f"shape into the network our builder makes from the REMNet genome at 128 channels, inputs normalised as "
        f"the authors' code does {tuple(record['normalize'])}: **{record['accuracy']:.2f}%** on the "
        f"{record['images']:,} Fashion-MNIST test images (reported in Table 2: {reported}%). This evaluates "
        f"their trained network with our code; it is not a training result of ours. Measured in "
        f"{record['seconds']:.0f}s on {record['device']} ({record['created_at']}, code {record['code_version']}).",
        "",
        f"The same weights with one convention changed (first {record['control_images']:,} test images):",
        "",
        "| convention | test accuracy |",
        "| --- | ---: |",
        f"| the authors' (as above) | {authors['accuracy']:.2f}% |",
    ]
    for control in record["controls"]:
        value = f"{control['accuracy']:.2f}%" if control["loads"] else f"does not load: {control['error']}"
        lines.append(f"| {control['name']} | {value} |")
    return lines


def disagreements(found: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    """Disagreements between a fresh evaluation and the record, each as a line (empty when they agree)."""
    problems = []
    pairs = [("the authors' conventions", found["predictions"], recorded["predictions"])]
    named = {c["name"]: c for c in recorded["controls"]}
    for control in found["controls"]:
        old = named.get(control["name"])
        if old is None or old["loads"] != control["loads"]:
            problems.append(
                f"{control['name']}: {'loads' if control['loads'] else 'does not load'} now, unlike the record"
            )
        elif control["loads"]:
            pairs.append((control["name"], control["predictions"], old["predictions"]))
    for name, new, old in pairs:
        n, allowed = len(new), allowed_differences(len(new))
        if (diff := differences(new, old)) > allowed:
            problems.append(f"{name}: {diff} of {n} predictions differ from the record (at most {allowed} may)")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Evaluate the weights here and compare with the record (exit 1 on disagreement), or write the record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N test images (a quick check)")
    parser.add_argument("--data-root", default=None, help="Fashion-MNIST folder (default: the usual places)")
    parser.add_argument("--json", type=Path, default=None, help="also write this evaluation to this file")
    parser.add_argument(
        "--write-record", action="store_true", help=f"store this evaluation as the record ({RECORD.name})"
    )
    args = parser.parse_args(argv)
    try:
        found = measure(args.device, args.limit, args.data_root)
    except ReproError as exc:
        print(f"papers.remnet.weights: error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(found, reported_value())))
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=1) + "\n")
    if args.write_record:
        if args.limit is not None:
            print("papers.remnet.weights: error: the record covers every test image; drop --limit", file=sys.stderr)
            return 2
        RECORD.write_text(json.dumps(found, indent=1) + "\n")
        print(f"wrote {RECORD}")
        return 0
    recorded = stored_record()
    if recorded is None:
        print(f"no record yet ({RECORD}); review the numbers above and rerun with --write-record")
        return 1
    problems = disagreements(found, recorded)
    for problem in problems:
        print(f"DISAGREES {problem}", file=sys.stderr)
    print("agrees with the record" if not problems else f"{len(problems)} disagreement(s) with the record")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
