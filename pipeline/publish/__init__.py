"""Release candidates and published releases: CSV + Parquet + Data Package, versioned and reviewed.

Scope: turn the extracted, validated tables into a release candidate (``outputs/staging/``) and
promote an accepted candidate to an immutable release (``outputs/releases/<version>/``). Modules:
``arrow`` (Arrow schema, Parquet), ``datapackage`` (``datapackage.json``), ``dictionary`` (data
dictionary), ``readme`` (the release README), ``versioning`` (diffs, semantic versions,
``changes.json``), ``changelog`` (``CHANGELOG.md``), ``candidate`` (staging), ``release`` (publish,
index, ``latest``, review summary), ``lock`` (one run/publish at a time), ``layout`` (path
conventions) and ``fsutil`` (atomic writes, checksums, swaps, deterministic zips). This package must
not parse sources or decide whether data is valid (``pipeline.extract`` / ``pipeline.validate`` do),
and nothing here imports Dagster: the Dagster layer calls these functions. No work at import time.
"""
