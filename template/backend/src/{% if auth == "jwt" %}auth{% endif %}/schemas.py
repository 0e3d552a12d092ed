from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from src.auth.constants import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)
from src.schemas import CustomModel

# Lowercased: one account per address, however it is typed.
Email = Annotated[
    str,
    StringConstraints(max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN),
    AfterValidator(str.lower),
]
Password = Annotated[
    str,
    StringConstraints(
        min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH, strip_whitespace=False
    ),
]


class UserCreate(CustomModel):
    email: Email = Field(examples=["ada@example.com"])
    password: Password = Field(examples=["correct horse battery staple"])


class UserRead(CustomModel):
    id: int
    email: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class RefreshRequest(CustomModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(CustomModel):
    access_token: str
    refresh_token: str
    token_type: str = Field(examples=["bearer"])
    expires_in: int = Field(description="Seconds the access token stays valid.")
