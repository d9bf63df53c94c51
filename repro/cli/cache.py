"""``repro cache info|query|export|check|upgrade|compact|merge``: inspecting, verifying and combining caches."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from repro.cli import options


def add(commands: Any) -> None:
    """Declare the ``cache`` command group on the top-level subparsers ``commands``."""
    cache = commands.add_parser("cache", help="inspect or export the evaluation cache")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    info = cache_commands.add_parser("info", help="rows per space, recipe and status; runs and artefacts stored")
    options.add_cache(info)
    info.set_defaults(handler=_cache_info)
    query = cache_commands.add_parser(
        "query",
        help="run read-only SQL on the cache",
        description="Tables: evaluations, genomes, recipes, runs, trials, artefacts, meta: the shipped and your local "
        "layer together; shipped.TABLE and local.TABLE hold each layer's own rows. The query runs sandboxed: "
        "it cannot write, read other files or reach the network (use `repro cache export` to write a file). Example: "
        'repro cache query "SELECT genome_key, avg(val_acc) FROM evaluations GROUP BY 1 ORDER BY 2 DESC LIMIT 5"',
    )
    query.add_argument("sql", help="the SQL statement")
    options.add_cache(query)
    query.add_argument("--csv", action="store_true", help="print CSV instead of an aligned table")
    query.set_defaults(handler=_cache_query)
    export = cache_commands.add_parser("export", help="export a table to Parquet or CSV (by file suffix)")
    export.add_argument("path", type=Path, help="output file, ending in .parquet or .csv")
    export.add_argument("--table", default="evaluations", help="table to export (evaluations include the genome text)")
    export.add_argument(
        "--imported",
        action="store_true",
        help="add the imported tables' rows to the evaluations, each with its source file, the "
        "source's architecture and seed, and imported = true",
    )
    options.add_cache(export)
    export.set_defaults(handler=_cache_export)
    check = cache_commands.add_parser(
        "check", help="verify the cache: schema version, rows vs. curves, run logs; says how to repair"
    )
    options.add_cache(check)
    check.set_defaults(handler=_cache_check)
    upgrade = cache_commands.add_parser("upgrade", help="migrate a cache written by an older repro to this schema")
    options.add_cache(
        upgrade, help=f"the cache folder to upgrade (env REPRO_CACHE; default {options.DEFAULT_CACHE})", stacked=False
    )
    upgrade.set_defaults(handler=_cache_upgrade)
    compact_help = (
        "fold the cache's curve files into one (a search writes one per evaluation and does this when it ends; "
        "run it after a killed search, or before copying a cache elsewhere)"
    )
    compact = cache_commands.add_parser(
        "compact", help=compact_help, description=compact_help[0].upper() + compact_help[1:]
    )
    options.add_cache(
        compact, help=f"the cache folder to compact (env REPRO_CACHE; default {options.DEFAULT_CACHE})", stacked=False
    )
    compact.set_defaults(handler=_cache_compact)
    merge = cache_commands.add_parser(
        "merge",
        help="fold cache shards (another machine's cache folders) into this cache; "
        "`repro cache merge cache/local --cache cache` promotes your rows into the shipped cache",
        description="Adds every row of each shard that this cache lacks (all seeds are kept), with its curve, runs "
        "and trial logs. Rows present in both with different numbers are conflicts: reported, and this cache's "
        "value is kept. Merging the same shard again changes nothing. Every row is verified first (keys hash to "
        "the genome and recipe, measured status, curve and checksum, data fingerprint, trials point at rows); "
        "a shard with a refused row is not merged at all, and the refusals are counted per reason.",
    )
    merge.add_argument("shards", nargs="+", type=Path, help="shard cache folders")
    merge.add_argument(
        "--skip-refused",
        action="store_true",
        help="merge a shard's sound rows even if some fail verification (to salvage a damaged cache); "
        "by default one refused row refuses the whole shard",
    )
    options.add_cache(merge, help="cache folder to merge into")
    merge.set_defaults(handler=_cache_merge)


def _cache_info(args: argparse.Namespace) -> int:
    from repro.provenance import describe_devices
    from repro.recipe import PROFILES

    with options.open_store(args, read_only=True) as store:
        counts = store.layer_counts()
        for layer in store.layers:
            print(
                f"layer {layer.name}: {layer.root} ({'written to' if layer.writable else 'read-only'}; "
                f"{counts[layer.name]} rows)"
            )
        _, rows = store.query(
            "SELECT e.layer, e.space, r.profile, e.recipe_key, count(*), count(DISTINCT e.genome_key), "
            "count(*) FILTER (WHERE e.status = 'invalid'), max(e.train_seed) + 1, sum(e.train_seconds), "
            "list(DISTINCT e.device), coalesce(string_agg(DISTINCT e.data_fingerprint, '; '), 'not recorded') "
            f"FROM {store.layered('evaluations')} e JOIN recipes r USING (recipe_key) GROUP BY ALL ORDER BY 1 DESC, 2, 3, 4"
        )
        # A profile's recipe changes when its definition does; the rows of the earlier recipe stay, marked "older".
        current = {name: PROFILES.get(name).key for name in PROFILES}
        columns = (
            "layer",
            "space",
            "profile",
            "recipe",
            "rows",
            "architectures",
            "invalid",
            "max_seeds",
            "train_time",
            "devices",
            "data_fingerprint",
        )
        print(
            options.table(
                columns,
                [
                    (
                        layer,
                        space,
                        profile,
                        key if current.get(profile) in (key, None) else f"{key} (older)",
                        n,
                        archs,
                        invalid,
                        seeds,
                        _duration(seconds),
                        describe_devices(devices),
                        data,
                    )
                    for layer, space, profile, key, n, archs, invalid, seeds, seconds, devices, data in rows
                ],
            )
            if rows
            else "(no evaluations)"
        )
        columns, rows = store.query(
            "SELECT strategy, count(*) AS runs, max(budget) AS max_budget FROM runs GROUP BY 1 ORDER BY 1"
        )
        if rows:
            print()
            print(options.table(columns, rows))
        columns, rows = store.query("SELECT kind AS artefact, count(*) AS records FROM artefacts GROUP BY 1 ORDER BY 1")
        if rows:
            print()
            print(options.table(columns, rows))
        for m in store.imported.manifests:
            print(
                f"\nimported table {m.table} ({m.space}; measured elsewhere, not trained here): {m.rows:,} rows in "
                f"{store.imported.folder / m.parquet}, importer {m.importer}, imported {m.imported_at}"
            )
            print(
                options.table(
                    ("profile", "recipe_key", "rows", "architectures", "columns"),
                    [(r["profile"], k, r["rows"], r["architectures"], r["columns"]) for k, r in m.recipes.items()],
                )
            )
            for src in m.sources:
                print(
                    f"  source {src['file']} (sha256 {src['sha256'][:12]}…, licence {src['licence']}): {src['origin']}; "
                    f"cite {src['citation']}"
                )
    return 0


def _duration(seconds: float | None) -> str:
    """Seconds as a person reads them: ``42s``, ``7.5 min``, ``3.2 h``."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _cache_query(args: argparse.Namespace) -> int:
    import csv

    with options.open_store(args, read_only=True) as store:
        store.sandbox()
        columns, rows = store.query(args.sql)
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print(options.table(columns, rows))
    return 0


def _cache_export(args: argparse.Namespace) -> int:
    with options.open_store(args, read_only=True) as store:
        path = store.export(args.path, args.table, imported=args.imported)
    print(f"wrote {path}")
    return 0


def _cache_check(args: argparse.Namespace) -> int:
    with options.open_store(args, read_only=True) as store:
        problems = store.check()
        rows = store.query("SELECT count(*) FROM evaluations")[1][0][0]
        counts = store.layer_counts()
        imported = sum(m.rows for m in store.imported.manifests)
    where = ", ".join(f"{n} in {name}" for name, n in counts.items())
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        print(
            f"{len(problems)} problem(s) in {rows} rows. Repair: restore the cache from git (git checkout -- "
            f"{args.cache}), or fold its sound rows into a new cache and use that one "
            f"(repro cache merge {args.cache} --cache NEW --skip-refused)."
        )
        return 1
    print(
        f"the cache {args.cache} is consistent: {rows} rows ({where}), every curve present and matching its "
        "checksum, no curve without a row, every logged trial stored"
        + (
            f"; {imported:,} imported rows (no curves: measured elsewhere), their files match their manifests"
            if imported
            else ""
        )
    )
    return 0


def _cache_upgrade(args: argparse.Namespace) -> int:
    from repro.cache.store import SCHEMA_VERSION, Store

    with Store(args.cache):  # a writable open migrates; each folder is upgraded on its own
        pass
    print(f"the cache {args.cache} is at schema version {SCHEMA_VERSION}")
    return 0


def _cache_compact(args: argparse.Namespace) -> int:
    from repro.cache.store import Store

    with Store(args.cache) as store:
        folded = store.compact()
    print(f"the cache {args.cache}: " + (f"{folded} curve files folded into one" if folded else "nothing to fold"))
    return 0


def _cache_merge(args: argparse.Namespace) -> int:
    from repro.cache.store import MergeRefused, Store

    conflicts = 0
    with options.open_store(args, read_only=False) as store:
        for shard_path in args.shards:
            with Store(shard_path, read_only=True) as shard:
                try:
                    added, identical, clashes = store.merge(shard, skip_refused=args.skip_refused)
                except MergeRefused as refused:
                    for reason, count in sorted(refused.reasons.items()):
                        print(f"{shard_path}: refused {count} row(s): {reason}")
                    raise
            print(f"{shard_path}: {added} row(s) added, {identical} already here, {len(clashes)} conflict(s)")
            for clash in clashes:
                print(f"  conflict (kept this cache's value): {clash}")
            conflicts += len(clashes)
    return 1 if conflicts else 0
