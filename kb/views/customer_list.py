"""The customers list: every customer with a file and every customer slug a call or story names without
one, filtered and sorted by the database."""

from __future__ import annotations

from sqlalchemy import case, exists, func, select, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from kb.store.models import CaseStudy, Customer, Interview
from kb.table import Table
from kb.views.lists_filters import NO_PROFILE, ListPage, Urls, count_of, folded_values, won_condition, won_years
from kb.views.paging import DEFAULT_PER, Paging, Sorts, choices_of, page_of
from kb.vocabulary import STAGES

CUSTOMER_SORTS = ("name", "stage", "source", "owner", "won", "calls", "stories")


def customers(
    session: Session,
    urls: Urls,
    sort: str | None = None,
    page: int | None = None,
    per: int = DEFAULT_PER,
    stage: str | None = None,
    source: str | None = None,
    owner: str | None = None,
    won: str | None = None,
) -> ListPage:
    """Every customer with a file, and every customer slug records name without one; filtered by stage,
    source, owner (any case) and won date (a year, a month or `not won`)."""
    named = union(
        select(col(Customer.slug).label("slug")),
        select(col(Interview.customer)).where(col(Interview.customer).is_not(None)),
        select(col(CaseStudy.customer)).where(col(CaseStudy.customer).is_not(None)),
    ).subquery()
    # A duplicated slug shows its first file by path, as the catalog does.
    first = aliased(Customer)
    earlier = aliased(Customer)
    firsts = (
        select(first)
        .where(~exists().where(col(earlier.slug) == col(first.slug), col(earlier.path) < col(first.path)))
        .subquery()
    )
    calls = select(func.count()).where(col(Interview.customer) == named.c.slug).scalar_subquery()
    stories = select(func.count()).where(col(CaseStudy.customer) == named.c.slug).scalar_subquery()
    name = func.coalesce(func.nullif(firsts.c.name, ""), named.c.slug)
    stage_of = case((firsts.c.path.is_(None), NO_PROFILE), else_=firsts.c.stage)
    columns = {
        "name": name,
        "stage": stage_of,
        "source": firsts.c.source,
        "owner": firsts.c.owner,
        "won": firsts.c.won_on,
        "calls": calls,
        "stories": stories,
    }
    conditions = []
    if stage is not None:
        conditions.append(stage_of == stage)
    if source is not None:
        conditions.append(firsts.c.source.in_(folded_values(session, col(Customer.source), source)))
    if owner is not None:
        conditions.append(firsts.c.owner.in_(folded_values(session, col(Customer.owner), owner)))
    if won is not None:
        conditions.append(won_condition(firsts.c.won_on, won))
    default = (func.lower(name), named.c.slug)
    sorts = Sorts(
        {key: (func.lower(e) if key in ("name", "source", "owner") else e,) for key, e in columns.items()},
        {key: key for key in columns},
    )
    joined = named.outerjoin(firsts, firsts.c.slug == named.c.slug)
    base = select(named.c.slug, *(e.label(key) for key, e in columns.items())).select_from(joined).where(*conditions)
    query = base.order_by(*sorts.order(sort, default))
    everything = session.execute(select(func.count()).select_from(named)).scalar_one()
    paging = None
    if page is not None:
        paging = Paging(page, per, count_of(session, base) if conditions else everything)
    table = Table(
        "Customers",
        [
            ("name", "Customer"),
            ("stage", "Stage"),
            ("source", "Source"),
            ("owner", "Owner"),
            ("won", "Won"),
            ("calls", "Calls"),
            ("stories", "Stories"),
        ],
    )
    for row in session.execute(page_of(query, paging)).all():
        values = {key: getattr(row, key) for key in columns}
        values["won"] = row.won.isoformat() if row.won else None
        table.add(values, {"name": urls.record("customer", row.slug)})
    choices = {
        "stage": _stages(choices_of(session, col(Customer.stage))),
        "source": _folded_choices(choices_of(session, col(Customer.source))),
        "owner": _folded_choices(choices_of(session, col(Customer.owner))),
        "won": won_years(session, col(Customer.won_on)),
    }
    filters = {"stage": stage, "source": source, "owner": owner, "won": won}
    return ListPage(table, choices, filters, paging, sort, sorts.columns, everything)


def _stages(present: list[str] | None) -> list[str]:
    """The stage filter's choices: the stages customers are at, in the order of the method, then any other
    value a file holds, then customers with no file."""
    present = present or []
    return [*(s for s in STAGES if s in present), *(s for s in present if s not in STAGES), NO_PROFILE]


def _folded_choices(values: list[str] | None) -> list[str] | None:
    """A filter's values once each in any case (the first as written), sorted as a reader would."""
    if values is None:
        return None
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return sorted(seen.values(), key=str.casefold)
