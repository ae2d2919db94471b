"""Building a pydantic model from values the engine computed itself, without validating them again.

The public shapes stay pydantic models (they serialise, compare and document themselves as before); what the
parser and the checks build per range and per finding is typed code's output, already of the fields' types
(mypy checks every caller), so validating it again only costs time: a few hundred validations per large request,
a large share of the evaluation's time before this was used.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# What pydantic keeps beside the field values lives in BaseModel's slots; they are set through their descriptors,
# since the models are frozen and their own __setattr__ refuses (as it should for everyone else).
_set_dict = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def unvalidated[M: BaseModel](model: type[M], values: dict[str, Any]) -> M:
    """An instance of `model` holding `values` as they are.

    `values` must name every field of the model, in the model's order, each with a value of the field's type and
    within its constraints: nothing here checks it. It sets what pydantic's `model_construct` sets (the field
    values, the fields set, no extra, no private attributes), which is slower still because it walks the fields in
    Python to fill in defaults. tests/unit/test_unvalidated_models.py holds what the parser and the checks build this
    way equal to its validated twin, field by field and type by type.
    """
    instance = object.__new__(model)
    _set_dict(instance, "__dict__", values)
    _set_fields_set(instance, set(values))
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance
