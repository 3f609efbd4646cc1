"""The pandera schema of a table, derived from its Frictionless Table Schema in ``schemas/``.

Scope: the project's own small converter from a :class:`pipeline.schemas.TableSchema` to a pandera
``DataFrameSchema`` for the pandas backend (pandera's ``from_frictionless_schema`` does not work
with Frictionless 5). It maps field types to the same pandas dtypes the tables are built with
(``TableSchema.dtypes()``), ``required`` to not-nullable, ``unique``, ``pattern`` (a full match, as
in Table Schema), ``enum``, ``minimum``/``maximum`` and the ``primaryKey`` (unique and not null).
It must not list columns of its own, read files or validate anything: ``pipeline.validate.checks``
runs the schema and turns failures into findings.

Why pandas and not polars: the tables come out of extraction as pandas frames with nullable dtypes
(string/Int64/boolean) and stay small (the whole atlas is a few thousand rows), so validation is a
few milliseconds either way, while converting to polars would cost a copy and lose the row index
that maps every failure back to its row, its primary key and its source line.
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.schemas import TableSchema


def _pattern_regex(pattern: str) -> str:
    # Table Schema patterns match the whole value (XML Schema semantics); ``str_matches`` anchors
    # only at the start, so anchor the end too.
    return f"(?:{pattern})\\Z"


def _checks(field: dict) -> list[pa.Check]:
    c = field.get("constraints", {})
    checks: list[pa.Check] = []
    if "pattern" in c:
        checks.append(pa.Check.str_matches(_pattern_regex(c["pattern"]), name="pattern", error=f"does not match the pattern {c['pattern']}"))
    if "enum" in c:
        allowed = list(c["enum"])
        checks.append(pa.Check.isin(allowed, name="enum", error="is not one of: " + ", ".join(map(str, allowed))))
    if "minimum" in c:
        checks.append(pa.Check.ge(c["minimum"], name="minimum", error=f"is below the minimum {c['minimum']}"))
    if "maximum" in c:
        checks.append(pa.Check.le(c["maximum"], name="maximum", error=f"is above the maximum {c['maximum']}"))
    if "minLength" in c:
        checks.append(pa.Check.str_length(min_value=c["minLength"], name="minLength", error=f"is shorter than {c['minLength']} characters"))
    if "maxLength" in c:
        checks.append(pa.Check.str_length(max_value=c["maxLength"], name="maxLength", error=f"is longer than {c['maxLength']} characters"))
    return checks


def to_pandera(table: TableSchema) -> pa.DataFrameSchema:
    """The pandera (pandas backend) schema of ``table``: exact columns in order, dtypes, constraints."""
    dtypes = table.dtypes()
    pk = set(table.primary_key)
    columns = {}
    for f in table.fields:
        c = f.get("constraints", {})
        required = bool(c.get("required")) or f["name"] in pk
        columns[f["name"]] = pa.Column(
            dtypes[f["name"]],
            checks=_checks(f),
            nullable=not required,
            unique=bool(c.get("unique")),
            title=f.get("title"),
            description=f.get("description"),
        )
    return pa.DataFrameSchema(
        columns,
        name=table.name,
        strict=True,
        ordered=True,
        unique=table.primary_key or None,
        report_duplicates="all",
        coerce=False,
    )
