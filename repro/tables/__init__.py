"""Public tables of measurements made elsewhere (NAS-Bench-201's GPU trainings), imported as cache rows.

:mod:`repro.tables.importer` is generic: it reads a table's source files, checks them against the
sha256 values the definition records, numbers the rows of each canonical architecture and writes
one Parquet file + manifest (:mod:`repro.tables.shipped`) atomically. A definition
(:mod:`repro.tables.nb201`, :mod:`repro.tables.macro`) says which file and column becomes which recipe, metric and seed;
adding a benchmark is one more definition in :data:`repro.tables.registry.TABLES`.
:mod:`repro.tables.macro` reads NAS-Bench-Macro's table and defines its import the same way.
"""
