"""The custom base model every schema inherits (rulebook: one shared BaseModel)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import CoreSchema, ErrorDetails

# Text without NUL characters: PostgreSQL cannot store them, so both databases refuse them.
TEXT_PATTERN = r"^[^\x00]*$"


def _refuse_naive_datetimes(schema: Any) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "datetime":
            schema["tz_constraint"] = "aware"
        for value in schema.values():
            _refuse_naive_datetimes(value)
    elif isinstance(schema, list):
        for value in schema:
            _refuse_naive_datetimes(value)


class CustomModel(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,  # build responses straight from ORM rows
        populate_by_name=True,
        str_strip_whitespace=True,
    )

    # Datetime policy: every datetime field refuses a naive value ("Input should have
    # timezone info", a 422 for clients, a ValidationError for our own code), so each one
    # a schema holds, and serializes, carries its offset. Checked in pydantic-core.
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema = handler(source)
        _refuse_naive_datetimes(schema)
        return schema


def error_message(error: ErrorDetails) -> str:
    """A validation error's message as people read it: a ValueError raised in a validator
    without the "Value error, " pydantic puts before it (422 bodies and settings alike)."""
    return error["msg"].removeprefix("Value error, ")
