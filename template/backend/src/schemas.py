"""The custom base model every schema inherits (rulebook: one shared BaseModel)."""

from pydantic import BaseModel, ConfigDict


class CustomModel(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,  # build responses straight from ORM rows
        populate_by_name=True,
        str_strip_whitespace=True,
    )
