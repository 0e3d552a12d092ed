"""The custom base model every schema inherits (rulebook: one shared BaseModel)."""

from pydantic import BaseModel, ConfigDict

# Text without NUL characters: PostgreSQL cannot store them, so both databases refuse them.
TEXT_PATTERN = r"^[^\x00]*$"


class CustomModel(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,  # build responses straight from ORM rows
        populate_by_name=True,
        str_strip_whitespace=True,
    )
