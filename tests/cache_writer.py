"""A `repro` command line for tests that run a writer in a process of its own.

``python -m tests.cache_writer DATA_ROOT GATE ARGV...`` registers the ``test-tiny`` profile (the
conftest's tiny recipe on the tiny MNIST files in DATA_ROOT), announces each training on stdout
("training N") and, with GATE = ``PATH:K``, makes the K-th training and later ones wait until the
file PATH exists (``-``: no gate), then runs ``repro ARGV``. A test can so hold a writer in the
middle of a search, or kill it there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run ``repro argv[2:]`` with the tiny profile and the gate; returns its exit code."""
    from repro import trainer
    from repro.cli import main as repro
    from repro.recipe import PROFILES, Recipe

    gate, gated_from = (
        (None, 0) if argv[1] == "-" else (Path(argv[1].rsplit(":", 1)[0]), int(argv[1].rsplit(":", 1)[1]))
    )
    PROFILES.register(
        "test-tiny",
        Recipe(
            profile="test-tiny",
            epochs=1,
            dataset="mnist",
            val_size=20,
            train_size=60,
            test_size=30,
            batch_size=16,
            model=(("channels", 4),),
        ),
    )
    real_fit = trainer.fit
    started = 0

    def gated_fit(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal started
        started += 1
        print(f"training {started}", flush=True)
        while gate is not None and started >= gated_from and not gate.exists():
            time.sleep(0.02)
        return real_fit(*args, **kwargs)

    trainer.fit = gated_fit
    return repro([*argv[2:], "--data-root", argv[0], "--device", "cpu"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
