"""Charts of a release as inline SVG, drawn from its tables.

Scope: pure functions from DataFrames (``organizations``, ``policy_issues``, ``issue_taxonomy``,
``country_mentions``) to SVG markup: the organisations × policy issues matrix, the policy issues per
basket and the countries mentioned. Every text from the data is escaped here (markupsafe) because
the result is inserted as markup. It must not read files or know page layout; no scripts, no
``style`` attributes (the site's Content-Security-Policy forbids inline styles), colours by class.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from markupsafe import Markup, escape

from pipeline.schemas import load_schemas

MAX_MATRIX_ROWS = 60
MAX_COUNTRIES = 25
PALETTE_SIZE = 8  # classes basket-0 … basket-7 in site.css


def baskets(policy_issues: pd.DataFrame | None = None, taxonomy: pd.DataFrame | None = None) -> list[str]:
    """Basket names in the schema's order (the ``basket`` enum of ``policy_issues``), then any other."""
    order: list[str] = []
    table = load_schemas().get("policy_issues")
    if table is not None and "basket" in table.columns:
        order = [str(b) for b in table.field("basket").constraints.enum or []]
    for frame in (taxonomy, policy_issues):
        if frame is not None and "basket" in frame:
            order += [b for b in frame["basket"].dropna().astype(str).unique() if b not in order]
    return order


def basket_class(basket: str, order: Sequence[str]) -> str:
    return f"basket-{order.index(basket) % PALETTE_SIZE}" if basket in order else "basket-none"


def basket_number(basket: str, order: Sequence[str]) -> str:
    """The basket's number in the legend (1-based), so charts never tell baskets apart by colour alone."""
    return str(order.index(basket) + 1) if basket in order else "–"


def _svg(width: float, height: float, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width:.0f} {height:.0f}"'
        f' width="{width:.0f}" height="{height:.0f}" aria-label="{escape(label)}"><title>{escape(label)}</title>' + "".join(body) + "</svg>"
    )


def _org_labels(organizations: pd.DataFrame | None) -> dict[str, str]:
    """organization_id → a short label (acronym, else name, else id)."""
    if organizations is None or "organization_id" not in organizations:
        return {}
    out = {}
    for row in organizations.to_dict("records"):
        oid = str(row["organization_id"])
        label = next((str(row[c]) for c in ("acronym", "name") if c in row and not pd.isna(row[c]) and str(row[c]).strip()), oid)
        out[oid] = label if len(label) <= 28 else label[:27] + "…"
    return out


def issue_matrix(
    organizations: pd.DataFrame | None, policy_issues: pd.DataFrame | None, taxonomy: pd.DataFrame | None = None
) -> Markup | None:
    """Organisations (rows) × policy issues (columns, grouped by basket): a filled cell where the
    organisation's profile lists the issue. The organisations with most issues first when capped."""
    if policy_issues is None or policy_issues.empty or not {"organization_id", "issue", "basket"} <= set(policy_issues.columns):
        return None
    order = baskets(policy_issues, taxonomy)
    pairs = policy_issues[["organization_id", "issue", "basket"]].dropna().astype(str).drop_duplicates(["organization_id", "issue"])
    issue_basket: dict[str, str] = {str(i): str(b) for i, b in zip(pairs["issue"], pairs["basket"], strict=False)}
    issues = sorted(issue_basket, key=lambda i: (order.index(issue_basket[i]) if issue_basket[i] in order else len(order), i.lower()))
    per_org: dict[str, set[str]] = {str(k): set(v) for k, v in pairs.groupby("organization_id")["issue"].apply(set).items()}
    labels = _org_labels(organizations)
    for oid in labels:  # organisations listing no issue get an empty row
        per_org.setdefault(oid, set())
    orgs = sorted(per_org, key=lambda o: (-len(per_org[o]), (labels.get(o) or o).lower()))
    shown = orgs[:MAX_MATRIX_ROWS]
    shown.sort(key=lambda o: (labels.get(o) or o).lower())
    cell, left, top = 16, 190, 214
    width, height = left + cell * len(issues) + 130, top + cell * len(shown) + 10  # room for slanted labels
    body = []
    for j, issue in enumerate(issues):
        x = left + j * cell + cell / 2
        basket = issue_basket[issue]
        cls = basket_class(basket, order)
        body.append(
            f'<text class="col-label" x="{x:.1f}" y="{top - 18}" transform="rotate(-60 {x:.1f} {top - 18})">{escape(issue)}</text>'
            f'<rect class="{cls}" x="{left + j * cell + 1}" y="{top - 14}" width="{cell - 2}" height="12">'
            f"<title>{escape(basket)}</title></rect>"
            f'<text class="band" x="{x:.1f}" y="{top - 5}" text-anchor="middle">{basket_number(basket, order)}</text>'
        )
    for i, org in enumerate(shown):
        y = top + i * cell
        body.append(f'<text class="row-label" x="{left - 6}" y="{y + cell - 4}" text-anchor="end">{escape(labels.get(org, org))}</text>')
        for j, issue in enumerate(issues):
            x = left + j * cell
            if issue in per_org[org]:
                cls = basket_class(issue_basket[issue], order)
                tip = f"{labels.get(org, org)}: {issue} ({issue_basket[issue]})"
                body.append(
                    f'<rect class="cell {cls}" x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
            else:
                body.append(f'<rect class="cell empty" x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}"/>')
    label = f"Policy issues of {len(shown)} organisations" + (
        f" (the {len(shown)} with most issues of {len(orgs)})" if len(orgs) > len(shown) else ""
    )
    if len(orgs) > len(shown):
        body.insert(0, f'<text class="note" x="4" y="14">{escape(label)}; every organisation is in the table below.</text>')
    return _svg(width, height, label, body)


def _bars(rows: list[tuple[str, int, str, str]], label: str, *, label_width: int = 230) -> Markup:
    """Horizontal bars: (label, value, value text, css class) per row."""
    bar_max, row_h = 360, 24
    peak = max((v for _, v, _, _ in rows), default=1) or 1
    width, height = label_width + bar_max + 240, row_h * len(rows) + 10
    body = []
    for i, (name, value, text, cls) in enumerate(rows):
        y = 5 + i * row_h
        w = max(2.0, bar_max * value / peak)
        body.append(
            f'<text class="row-label" x="{label_width - 8}" y="{y + 16}" text-anchor="end">{escape(name)}</text>'
            f'<rect class="bar {cls}" x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}">'
            f"<title>{escape(name)}: {escape(text)}</title></rect>"
            f'<text class="value" x="{label_width + w + 6:.1f}" y="{y + 16}">{escape(text)}</text>'
        )
    return _svg(width, height, label, body)


def issues_per_basket(policy_issues: pd.DataFrame | None, taxonomy: pd.DataFrame | None = None) -> Markup | None:
    """Per basket: how many organisation-issue rows, distinct issues and organisations."""
    if policy_issues is None or policy_issues.empty or "basket" not in policy_issues:
        return None
    order = baskets(policy_issues, taxonomy)
    frame = policy_issues.dropna(subset=["basket"]).astype({"basket": str})
    rows = []
    for basket in order:
        part = frame[frame["basket"] == basket]
        if part.empty:
            continue
        n_issues = part["issue"].nunique() if "issue" in part else 0
        n_orgs = part["organization_id"].nunique() if "organization_id" in part else 0
        text = f"{len(part)} ({n_issues} issue{'s' * (n_issues != 1)}, {n_orgs} organisation{'s' * (n_orgs != 1)})"
        rows.append((f"{basket_number(basket, order)} {basket}", len(part), text, basket_class(basket, order)))
    return _bars(rows, "Policy issues per basket (organisation-issue pairs)") if rows else None


def countries_mentioned(country_mentions: pd.DataFrame | None, limit: int = MAX_COUNTRIES) -> Markup | None:
    """The countries named by most organisations (then most mentions), top ``limit``."""
    if country_mentions is None or country_mentions.empty or "country_code" not in country_mentions:
        return None
    frame = country_mentions.dropna(subset=["country_code"]).astype({"country_code": str})
    names = (
        frame.dropna(subset=["country_name"]).groupby("country_code")["country_name"].first().astype(str).to_dict()
        if "country_name" in frame
        else {}
    )
    orgs = (
        frame.groupby("country_code")["organization_id"].nunique() if "organization_id" in frame else frame.groupby("country_code").size()
    )
    mentions = frame.groupby("country_code").size()
    ranked = sorted(orgs.index, key=lambda c: (-int(orgs[c]), -int(mentions[c]), names.get(c, c)))
    rows = []
    for code in ranked[:limit]:
        n, m = int(orgs[code]), int(mentions[code])
        rows.append((f"{names.get(code, code)} ({code})", n, f"{n} organisation{'s' * (n != 1)}, {m} mention{'s' * (m != 1)}", "country"))
    more = f" (top {limit} of {len(ranked)})" if len(ranked) > limit else ""
    return _bars(rows, f"Countries mentioned, by organisations naming them{more}") if rows else None
