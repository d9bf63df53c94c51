"""``repro tables import``: public tables of measurements (NAS-Bench-201, NAS-Bench-Macro) turned into imported cache rows."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from repro.cli import options


def add(commands: Any) -> None:
    """Declare the ``tables`` command group on the top-level subparsers ``commands``."""
    tables = commands.add_parser(
        "tables", help="import public tables of measurements (NAS-Bench-201, NAS-Bench-Macro) as cache rows"
    )
    table_commands = tables.add_subparsers(dest="tables_command", required=True, metavar="ACTION")
    table_import = table_commands.add_parser(
        "import",
        help="rebuild an imported table's Parquet file and manifest from its source files",
        description="Reads the source files (checked against their recorded sha256), converts them to rows of the "
        "table's recipes and writes <cache>/imported/NAME.parquet and NAME.manifest.json. The shipped cache already "
        "holds them; importing the same files again changes nothing. Any bad input stops it with nothing written.",
    )
    table_import.add_argument("table", help="table name (nb201, macro)")
    table_import.add_argument(
        "--source",
        type=Path,
        help="folder holding the source files (default: the copy that ships with the repository if any, "
        "else $REPRO_TABLES/NAME, else ../shared/tables/NAME)",
    )
    options.add_cache(
        table_import,
        help=f"cache folder to import into (default: the shipped cache {options.SHIPPED_CACHE})",
        stacked=False,
        default=options.SHIPPED_CACHE,
    )
    table_import.set_defaults(handler=_tables_import)


def _tables_import(args: argparse.Namespace) -> int:
    from repro.tables.importer import import_table, source_folder
    from repro.tables.registry import TABLES

    definition = TABLES.get(args.table)
    source = source_folder(definition, args.source)
    result = import_table(definition, source, Path(args.cache))
    verb = "wrote" if result.written else "already up to date:"
    print(f"{verb} {result.path} ({result.rows:,} rows from {source})")
    for profile, (rows, keys) in result.per_profile.items():
        print(f"  {profile:28} {rows:7,} rows, {keys:,} canonical architectures")
    return 0
