"""The importable tables, by name: ``repro tables import NAME``."""

from __future__ import annotations

from repro.registry import Registry
from repro.tables.importer import TableDefinition
from repro.tables.macro import MACRO
from repro.tables.nb201 import NB201

TABLES: Registry[TableDefinition] = Registry("imported table")
TABLES.register("nb201", NB201)
TABLES.register("macro", MACRO)
