"""Benchmark of GDAS's acceleration step: one supernet training step with hard sampling vs the full mixed op.

    PYTHONPATH=. python benchmarks/bench_gdas_acceleration.py [--device cpu] [--channels 16 --layers 2]
    PYTHONPATH=. python benchmarks/bench_gdas_acceleration.py --store cache   # keep the record for the report

Both modes train the same supernet (the paper's search network by default: DARTS cells, C=16,
N=2, 8 candidates per edge) on random CIFAR-sized batches: forward, backward and an SGD step.
``hard`` is GDAS (one Gumbel sample per edge, only the sampled candidate computed); ``mixed`` is
DARTS's relaxation (every candidate computed, softmax-weighted). Each mode runs in its own
process, so the peak memory of one cannot hide the other's: on CUDA the peak allocated memory
above the built model; on the CPU the growth of the process's peak resident set above the built
model. Prints milliseconds per step, peak memory and the mixed/hard ratios, all measured in this run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

from repro import provenance
from repro.search.gdas import Architecture, GdasConfig, supernet_step
from repro.cache.store import Store
from repro.spaces import get_space
from repro.trainer import pick_device


def measure(mode: str, args: argparse.Namespace) -> dict[str, float]:
    """Milliseconds per training step and peak memory (MiB above the built model) of one mode, in this process."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = pick_device(args.device)
    space = get_space(args.space)
    net = space.supernet((3, 32, 32), 10, args.channels, args.layers).to(device)
    gen = torch.Generator().manual_seed(0)
    shapes = {k: (len(space.candidates(k)), len(space.candidates(k)[0])) for k in space.cell_types}
    arch = Architecture(shapes, gen).to(device)
    config = GdasConfig(mode=mode)
    optimizer = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum)
    x = torch.randn(args.batch_size, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (args.batch_size,), device=device)

    def step() -> None:
        loss, _ = supernet_step(net, arch, config, 5.0, x, y, gen, config.gradient_rule(space))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    for _ in range(args.warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - started) / args.steps
    peak = torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"ms_per_step": 1000 * seconds, "peak_mib": (peak - base) / 2**20, "device": provenance.device_name(device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="darts", choices=("darts", "nb201"))
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--store", type=Path, help="cache folder: keep the record as a gdas-acceleration artefact")
    parser.add_argument("--child", choices=("hard", "mixed"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args)))
        return
    results = {}
    for mode in ("hard", "mixed"):
        out = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--child", mode], capture_output=True, text=True, check=True
        )
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    hard, mixed = results["hard"], results["mixed"]
    device = hard["device"]
    memory = (
        "CUDA peak allocated above the built model" if "cuda" in device else "CPU peak RSS growth above the built model"
    )
    supernet = f"{args.space} C={args.channels} N={args.layers}"
    print(f"GDAS acceleration on {device}: {supernet}, batch {args.batch_size}, {args.steps} timed steps per mode")
    print(f"{'mode':8} {'ms/step':>10} {'peak MiB':>10}")
    for mode, r in results.items():
        print(f"{mode:8} {r['ms_per_step']:10.1f} {r['peak_mib']:10.1f}")
    print(
        f"mixed/hard: time {mixed['ms_per_step'] / hard['ms_per_step']:.2f}x, "
        f"memory {mixed['peak_mib'] / max(hard['peak_mib'], 1e-9):.2f}x ({memory})"
    )
    if args.store:
        record = {
            "device": device,
            "supernet": supernet,
            "batch_size": args.batch_size,
            "steps": args.steps,
            "threads": args.threads,
            "memory": memory,
            "hard": hard,
            "mixed": mixed,
            "code_version": provenance.code_version(),
            "libraries": provenance.library_versions(),
            "created_at": provenance.now().isoformat(),
        }
        slug = "".join(c if c.isalnum() else "-" for c in f"{device}-{supernet}-b{args.batch_size}").strip("-")
        with Store(args.store) as store:
            store.put_artefact("gdas-acceleration", slug, record)
        print(f"stored artefact gdas-acceleration/{slug} in {args.store}")


if __name__ == "__main__":
    main()
