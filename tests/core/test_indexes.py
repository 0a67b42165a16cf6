"""The indexes of sladesk's own tables: each one is paid on every write of its table."""

from __future__ import annotations

from django.apps import apps
from django.db import models


def _composite_indexes(model: type[models.Model]) -> list[list[str]]:
    """Column lists of the model's multi-column indexes and unique constraints that cover
    every row (a partial index cannot stand in for a full one)."""
    meta = model._meta
    field_lists = [list(index.fields) for index in meta.indexes if index.condition is None]
    field_lists += [
        list(constraint.fields)
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None
    ]
    field_lists += [list(fields) for fields in meta.unique_together]
    return [
        [meta.get_field(name.lstrip("-")).column for name in names]
        for names in field_lists
        if len(names) > 1
    ]


def test_no_single_column_index_repeats_the_leading_column_of_another() -> None:
    repeated = []
    for model in apps.get_models():
        if not model.__module__.startswith("sladesk.") or not model._meta.managed:
            continue
        composites = _composite_indexes(model)
        for field in model._meta.local_fields:
            if not field.db_index or field.unique or field.primary_key:
                continue
            repeated += [
                f"{model._meta.label}.{field.name} (led by {columns})"
                for columns in composites
                if columns[0] == field.column
            ]
            repeated += [
                f"{model._meta.label}.{field.name} (again in Meta.indexes)"
                for index in model._meta.indexes
                if list(index.fields) == [field.name] and index.condition is None
            ]
    assert repeated == [], "\n".join(repeated)


def test_the_check_sees_a_repeated_index() -> None:
    """The test above is not vacuous: a foreign key left indexed under a composite index
    that leads with it is what it reports."""
    from sladesk.tickets.models import TicketEvent

    ticket = TicketEvent._meta.get_field("ticket")
    assert not ticket.db_index
    assert _composite_indexes(TicketEvent)[0][0] == ticket.column
