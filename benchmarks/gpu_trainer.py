"""The project's trainer against the textbook loop on one CUDA GPU, on the REMNet reference network.

    PYTHONPATH=. python benchmarks/gpu_trainer.py [--data-root DIR] [--epochs 3] [--seeds 3] [--json OUT.json]
                                                  [--markdown OUT.md] [--dry-run]

Full Fashion-MNIST (50,000 training / 10,000 validation images), 64 channels, Adam 1e-3: the
``remnet-gpu`` profile. Prints, per configuration, the steady seconds per epoch (training plus
the validation pass, first epoch left out), the ratio against the textbook loop (DataLoader,
fp32, batch 128) measured in the same run, model-epochs per second, and TFLOP/s from the
network's counted MACs (2 FLOPs per MAC, backward counted as twice the forward) beside the
large-batch ceiling measured here too. Then several trainings in flight at once in separate
processes (aggregate model-epochs/s), and the accuracy sanity check: final validation accuracy of
the textbook loop and of the fast trainer over several seeds.

Targets: >= 4x the textbook loop per model-epoch at batch 128, >= 2 model-epochs/s.
Refuses to run without CUDA: CPU numbers come from ``bench_trainer_cpu.py``. ``--dry-run`` runs
every part on the CPU at tiny sizes (seconds), so that a test can check the script end to end;
``scripts/gpu-check`` runs it on a GPU machine and keeps the JSON and the RESULTS.md section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import statistics
import sys
import time
from typing import Any

import torch
from trainers import Timed, fast_fit, plain_fit, reference_model

from repro.cost import count_macs
from repro.data import DataBundle, load_dataset
from repro.recipe import Recipe, get_profile

CONFIGS = (  # (label, precision, batch size, CUDA graph)
    ("fit fp32 b128 eager", "fp32", 128, False),
    ("fit fp32 b128 cuda-graph", "fp32", 128, True),
    ("fit bf16 b128 eager", "bf16", 128, False),
    ("fit bf16 b128 cuda-graph", "bf16", 128, True),
    ("fit bf16 b256 cuda-graph", "bf16", 256, True),
)


def _data(root: str | None, recipe: Recipe) -> DataBundle:
    return load_dataset(
        recipe.dataset, root, val_size=recipe.val_size, split_seed=recipe.split_seed, train_size=recipe.train_size
    )


def flops_per_epoch(data: DataBundle, recipe: Recipe) -> float:
    """Training (forward + backward = 3 forwards) of the training split plus a forward of the validation split."""
    macs = count_macs(reference_model(data, recipe), data.input_shape)
    return 2.0 * macs * (3 * len(data.train) + len(data.val))


def ceiling(data: DataBundle, recipe: Recipe, device: str = "cuda", batch: int = 4096, steps: int = 20) -> float:
    """TFLOP/s of bare forward + backward passes at a large batch (bf16, channels-last): what these shapes allow."""
    model = reference_model(data, recipe).to(device).to(memory_format=torch.channels_last)
    x = torch.randn(batch, *data.input_shape, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, data.num_classes, (batch,), device=device)
    torch.backends.cudnn.benchmark = True
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def step() -> None:
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(model(x).float(), y)
        loss.backward()

    for _ in range(3):
        step()
    sync()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    macs = count_macs(model, data.input_shape)
    return 2.0 * macs * 3 * batch * steps / (time.perf_counter() - started) / 1e12


def _in_flight_worker(root: str | None, recipe_json: str, seed: int, device: str, barrier: Any, results: Any) -> None:
    recipe = Recipe.from_json(recipe_json)
    data = _data(root, recipe)
    barrier.wait()
    started = time.time()
    timed = fast_fit(data, recipe, seed, device)
    results.put((started, time.time(), timed.engine))


def in_flight(root: str | None, recipe: Recipe, k: int, device: str = "cuda") -> tuple[float, set[str]]:
    """Aggregate model-epochs/s of ``k`` trainings started together in ``k`` processes on this GPU, and
    the engines they ran on."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(k), ctx.Queue()
    procs = [
        ctx.Process(target=_in_flight_worker, args=(root, recipe.to_json(), s, device, barrier, results))
        for s in range(k)
    ]
    for p in procs:
        p.start()
    spans = [results.get(timeout=900) for _ in procs]  # a crashed worker fails the run instead of hanging it
    for p in procs:
        p.join()
    wall = max(end for _, end, _ in spans) - min(start for start, _, _ in spans)
    return k * recipe.epochs / wall, {engine for _, _, engine in spans}


DRY_RUN = {"epochs": 2, "channels": 4, "train_size": 128, "val_size": 128}
"""``--dry-run``: the CPU at sizes that take seconds, to check the script end to end; its numbers mean nothing."""


def markdown(report: dict[str, Any]) -> str:
    """The numbers as a section for ``benchmarks/RESULTS.md`` ("Trainer on the GPU")."""
    r = report["recipe"]
    head = (
        []
        if not report["dry_run"]
        else ["**Dry run (CPU, tiny sizes): checks the script, not a measurement; not for RESULTS.md.**", ""]
    )
    lines = head + [
        f"{report['device']}, torch {report['torch']}, CUDA {report['cuda']}, cuDNN {report['cudnn']}, "
        f"{report['date'].replace('+00:00', ' UTC')}{'' if report['complete'] else ' (incomplete: the run stopped early)'}. "
        f"`benchmarks/gpu_trainer.py` (by `scripts/gpu-check`): the reference network at "
        f"{r['model']['channels']} channels, {report['train_images']:,} training images, {r['epochs']} epochs, "
        f"Adam {r['lr']:g}; s/epoch averaged after the first epoch; ratio against the textbook loop "
        f"(DataLoader, fp32, batch 128) of the same run.",
        "",
    ]
    if "ceiling_tflops" in report:
        lines += [f"Large-batch ceiling (bf16, forward + backward): {report['ceiling_tflops']:.1f} TFLOP/s.", ""]
    if report.get("configs"):
        lines += [
            "| configuration | s/epoch | ratio | model-epochs/s | TFLOP/s | val_acc | engine |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in report["configs"]:
            lines.append(
                f"| {c['label']} | {c['s_per_epoch']:.3f} | {c['ratio']:.1f}× | {c['model_epochs_per_s']:.2f} | "
                f"{c['tflops']:.1f} | {c['val_acc']:.4f} | {c['engine']} |"
            )
        best = max(
            (c for c in report["configs"] if "b128" in c["label"] and c["label"].startswith("fit")),
            key=lambda c: c["ratio"],
            default=None,
        )
        if best is not None:
            lines += [
                "",
                f"Targets: ≥ 4× the textbook loop at batch 128 ({best['label']}: {best['ratio']:.1f}×, "
                f"{'meets' if best['ratio'] >= 4 else 'misses'}); ≥ 2 model-epochs/s "
                f"({best['model_epochs_per_s']:.2f}, {'meets' if best['model_epochs_per_s'] >= 2 else 'misses'}).",
            ]
    if report.get("in_flight"):
        lines += ["", "| trainings in flight (separate processes, bf16 b128) | aggregate model-epochs/s |", "|---|---|"]
        lines += [f"| {k} | {rate:.2f} |" for k, rate in report["in_flight"].items()]
    if "sanity" in report:
        lines.append("")
        for label, key in (("textbook loop fp32", "plain_val_acc"), ("fit bf16 cuda-graph", "fast_val_acc")):
            accs = report["sanity"][key]
            spread = statistics.stdev(accs) if len(accs) > 1 else 0.0
            lines.append(
                f"- val_acc after {r['epochs']} epochs, {label}, seeds 0-{len(accs) - 1}: "
                f"{statistics.mean(accs):.4f} ± {spread:.4f} ({', '.join(f'{a:.4f}' for a in accs)})"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print (and optionally save, after each part) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None, help="Fashion-MNIST folder (default: the usual places)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the accuracy sanity check")
    parser.add_argument("--in-flight", default="1,2,4", help="numbers of concurrent trainings to measure")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    parser.add_argument("--markdown", default=None, help="also write them as a RESULTS.md section to this file")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="on the CPU at tiny sizes: checks that the script runs end to end, measures nothing",
    )
    args = parser.parse_args(argv)
    device = "cpu" if args.dry_run else "cuda"
    if not args.dry_run and not torch.cuda.is_available():
        print(
            "gpu_trainer.py measures the CUDA trainer and needs a CUDA GPU; this machine has none "
            "(for the CPU path run benchmarks/bench_trainer_cpu.py)",
            file=sys.stderr,
        )
        return 2
    base = get_profile("remnet-gpu").with_changes(epochs=args.epochs)
    if args.dry_run:
        base = base.with_changes(**DRY_RUN)
        # One thread per process: tiny networks on a shared CPU spend more time in thread barriers than computing.
        os.environ["OMP_NUM_THREADS"] = "1"
        torch.set_num_threads(1)
    data = _data(args.data_root, base)
    cuda = device == "cuda"
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name() if cuda else "CPU",
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
        "dry_run": args.dry_run,
        "complete": False,
        "recipe": base.to_dict(),
        "train_images": len(data.train),
    }

    def save() -> None:
        """Written after each part, so that a run stopped at its time limit keeps what it measured."""
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(markdown(report))

    print(
        f"{report['device']}, torch {report['torch']}, CUDA {report['cuda']}, cuDNN {report['cudnn']}, "
        f"{report['date']}; reference network, {len(data.train):,} training images, {base.epochs} epochs"
    )
    flops = flops_per_epoch(data, base)
    report["ceiling_tflops"] = ceil = ceiling(data, base, device, *((64, 2) if args.dry_run else ()))
    print(f"large-batch ceiling (bf16, forward + backward): {ceil:.1f} TFLOP/s")
    save()
    plain = plain_fit(data, base, 0, device)
    rows: list[tuple[str, Timed]] = [("textbook loop fp32 b128", plain)]
    for label, precision, batch, graph in CONFIGS:
        recipe = base.with_changes(precision=precision, batch_size=batch)
        rows.append((label, fast_fit(data, recipe, 0, device, cuda_graph=graph)))
    report["configs"] = []
    print(f"{'configuration':<26} {'s/epoch':>8} {'ratio':>7} {'model-epochs/s':>15} {'TFLOP/s':>8}  val_acc  engine")
    for label, t in rows:
        ratio, tflops = plain.steady / t.steady, flops / t.steady / 1e12
        report["configs"].append(
            {
                "label": label,
                "s_per_epoch": t.steady,
                "ratio": ratio,
                "model_epochs_per_s": 1 / t.steady,
                "tflops": tflops,
                "val_acc": t.val_acc,
                "engine": t.engine,
            }
        )
        print(
            f"{label:<26} {t.steady:8.3f} {ratio:6.1f}x {1 / t.steady:15.2f} {tflops:8.1f}  {t.val_acc:.4f}  {t.engine}"
        )
    save()
    fast_recipe = get_profile("remnet-gpu-bf16").with_changes(epochs=args.epochs)
    if args.dry_run:
        fast_recipe = fast_recipe.with_changes(**DRY_RUN)
    report["in_flight"] = {}
    for k in (int(x) for x in args.in_flight.split(",")):
        rate, engines = in_flight(args.data_root, fast_recipe, k, device)
        report["in_flight"][k] = rate
        print(
            f"{k} trainings in flight (bf16 b128, separate processes): {rate:.2f} model-epochs/s "
            f"({'; '.join(sorted(engines))})"
        )
        save()
    plain_acc = [plain_fit(data, base, s, device).val_acc for s in range(args.seeds)]
    fast_acc = [fast_fit(data, fast_recipe, s, device).val_acc for s in range(args.seeds)]
    report["sanity"] = {"plain_val_acc": plain_acc, "fast_val_acc": fast_acc}
    for label, accs in (("textbook loop fp32", plain_acc), ("fit bf16 cuda-graph", fast_acc)):
        spread = statistics.stdev(accs) if len(accs) > 1 else 0.0
        print(
            f"val_acc after {base.epochs} epochs, {label}, seeds 0-{args.seeds - 1}: "
            f"{statistics.mean(accs):.4f} +- {spread:.4f} ({', '.join(f'{a:.4f}' for a in accs)})"
        )
    report["complete"] = True
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
