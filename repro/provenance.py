"""Where a number came from: code version, device, library versions, time."""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path

import repro


CODE_VERSION_VAR = "REPRO_CODE_VERSION"
"""Set where the code travels without its git history (a GPU machine: ``scripts/gpu-check``) to the ``git describe`` it came from."""


@functools.cache
def code_version() -> str:
    """``git describe --always --dirty`` of the checkout this package runs from, else ``$REPRO_CODE_VERSION``'s,
    else the package version alone."""
    root = Path(repro.__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return f"{repro.__version__}+g{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        carried = os.environ.get(CODE_VERSION_VAR)
        return f"{repro.__version__}+g{carried}" if carried else repro.__version__


def device_name(device: str) -> str:
    """A readable device name, e.g. ``cuda:NVIDIA H100 80GB HBM3`` or ``cpu:x86_64 (2 threads)``."""
    import torch

    if device.startswith("cuda"):
        return f"cuda:{torch.cuda.get_device_name(torch.device(device))}"
    return f"cpu:{platform.machine()} ({torch.get_num_threads()} threads)"


def describe_devices(devices: Iterable[str | None]) -> str:
    """Recorded device strings as one phrase: each machine once, with the engines its rows ran on.

    A trained row records ``machine; engine`` (e.g. ``cpu:x86_64 (2 threads); eager, fp32``); a search
    record or an older row the machine alone. Machines are ``; ``-separated, engines listed in brackets.
    """
    engines: dict[str, set[str]] = {}
    for device in filter(None, devices):
        machine, _, engine = device.partition("; ")
        engines.setdefault(machine, set()).update([engine] if engine else [])
    return (
        "; ".join(f"{m} [{' | '.join(sorted(e))}]" if e else m for m, e in sorted(engines.items())) or "none recorded"
    )


def library_versions() -> str:
    """Versions of the libraries that decide a trained network's numbers."""
    import numpy
    import torch

    return f"python {platform.python_version()}; torch {torch.__version__}; numpy {numpy.__version__}"


def now() -> dt.datetime:
    """The current UTC time (naive, as DuckDB TIMESTAMP stores it)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
