"""Release candidates and published releases: CSV + Parquet + Data Package, versioned and reviewed.

Scope: turn the extracted, validated tables into a release candidate (``outputs/staging/``) and
promote an accepted candidate to an immutable release (``outputs/releases/<version>/``). Modules:
``arrow`` (Parquet), ``datapackage`` (``datapackage.json``), ``dictionary`` (data dictionary),
``versioning`` (semantic versions, ``changes.json``, changelog), ``candidate`` (staging),
``release`` (publish, index, ``latest``), ``lock`` (one run/publish at a time) and ``fsutil``
(atomic writes, checksums, deterministic zips). This package must not parse sources or decide
whether data is valid (``pipeline.extract`` / ``pipeline.validate`` do), and nothing here imports
Dagster: the Dagster layer calls these functions. No work happens at import time.
"""
