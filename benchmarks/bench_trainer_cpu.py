"""The project's trainer against the textbook loop on the CPU, at the smoke profile's scale.

    PYTHONPATH=. python benchmarks/bench_trainer_cpu.py           # smoke scale: 3,000 images, 16 channels
    PYTHONPATH=. python benchmarks/bench_trainer_cpu.py --quick   # 300 images, 2 epochs: checks that it works

Both train the REMNet reference network with the same recipe and seed, on the CPU with the
torch threads :func:`repro.trainer.use_cpu_threads` allows, and are timed per epoch (training
plus the validation pass); the first epoch is left out of the average, and of alternating repeats
the fastest counts. Target: never slower than the textbook loop (ratio >= 1).
"""

from __future__ import annotations

import argparse
import sys

import torch

from repro import trainer
from repro.data import load_dataset
from repro.recipe import get_profile
from trainers import fast_fit, plain_fit


def main(argv: list[str] | None = None) -> int:
    """Train with both, print seconds per epoch, the ratio and the validation accuracies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 images and 2 epochs: check that it runs, not speed")
    parser.add_argument("--data-root", default=None, help="Fashion-MNIST folder (default: the usual places)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each; the fastest counts")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats = 2, 1
    recipe = get_profile("smoke").with_changes(epochs=args.epochs)
    train_size = 300 if args.quick else recipe.train_size
    data = load_dataset(
        recipe.dataset, args.data_root, val_size=recipe.val_size, train_size=train_size, test_size=recipe.test_size
    )
    threads = trainer.use_cpu_threads()
    # Alternated and repeated, keeping each one's fastest run: the machine is shared.
    runs = [(plain_fit(data, recipe, 0, "cpu"), fast_fit(data, recipe, 0, "cpu")) for _ in range(args.repeats)]
    plain = min((p for p, _ in runs), key=lambda t: t.steady)
    fast = min((f for _, f in runs), key=lambda t: t.steady)
    print(
        f"CPU, torch {torch.__version__}, {threads} threads; reference network at {recipe.model_options['channels']} "
        f"channels, {len(data.train):,} training images, batch {recipe.batch_size}, {recipe.epochs} epochs"
    )
    for name, t in (("textbook loop (DataLoader)", plain), ("repro.trainer.fit", fast)):
        print(f"{name:<28} {t.steady:7.2f} s/epoch  val_acc {t.val_acc:.4f}  ({t.engine})")
    print(f"ratio (textbook / fit): {plain.steady / fast.steady:.2f}x  (target >= 1: never slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
