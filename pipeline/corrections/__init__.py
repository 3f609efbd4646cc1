"""Editors' corrections as data: how editors act on a finding without editing the publisher's text.

Scope: the corrections file (:mod:`~pipeline.corrections.entries`: YAML entries with their lines,
validated by a typed model), the cells they address (:mod:`~pipeline.corrections.cells`), the one
step that applies them after extraction and before validation
(:func:`pipeline.corrections.apply.apply_corrections`, called by ``atlas extract`` and by the
Dagster ``combine_tables`` step) and the entry the report suggests for a finding
(:mod:`~pipeline.corrections.suggest`). This package imports none of its modules here, so the
report can use the suggestions without loading validation (no import cycle). It must not edit
source files.
"""
