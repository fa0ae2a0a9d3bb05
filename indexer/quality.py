"""``score_qualite`` with data·inclusion's own criteria (``data_inclusion.schema.v1.score_qualite``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from data_inclusion.schema.v1 import Service as SchemaService
from data_inclusion.schema.v1 import score_qualite


def service_score(fields: dict[str, Any]) -> tuple[float, dict[str, float | None]]:
    """Mean of the applicable criteria, rounded to 2 decimals, with each criterion's value."""
    values = dict(fields)
    values["description"] = values.get("description") or ""
    if isinstance(values.get("date_maj"), dt.datetime):
        values["date_maj"] = values["date_maj"].date()
    # model_construct: score a record as it is; validation is a separate step with its own report.
    model = SchemaService.model_construct(**{k: values.get(k) for k in SchemaService.model_fields})
    if not values["description"]:
        # An empty description fails the range checks of the upstream criterion: it scores 0.
        model.description = " "
    score, details = score_qualite.score(model)
    return score, {k: (round(v, 2) if v is not None else None) for k, v in details.items()}
