"""Building a pydantic model from values the engine computed itself, without validating them again.

The public shapes stay pydantic models (they serialise, compare and document themselves as before); what the
parser and the checks build per range and per finding is typed code's output, already of the fields' types
(mypy checks every caller), so validating it again only costs time: a few hundred validations per large request,
most of the evaluation's time before this was used.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# The models are frozen: their own __setattr__ refuses, as it should for everyone else.
_set = object.__setattr__


def unvalidated[M: BaseModel](model: type[M], values: dict[str, Any]) -> M:
    """An instance of `model` holding `values` as they are.

    `values` must name every field of the model, in the model's order, each with a value of the field's type and
    within its constraints: nothing here checks it. It sets what pydantic's `model_construct` sets (the field
    values, the fields set, no extra, no private attributes), which is slower still because it walks the fields in
    Python to fill in defaults. tests/unit/test_unvalidated_models.py holds what the parser and the checks build this
    way equal to its validated twin, field by field and type by type.
    """
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance
