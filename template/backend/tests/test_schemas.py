"""The custom base model's rules, through a small app with the project's error handlers."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import httpx2
import pytest
from fastapi import FastAPI, status
from pydantic import ValidationError, field_validator

from src.exceptions import register_exception_handlers
from src.schemas import CustomModel


class Event(CustomModel):
    name: str
    starts_at: datetime
    ends_at: datetime | None = None
    reminders: list[datetime] | None = None

    @field_validator("name")
    @classmethod
    def no_digits(cls, name: str) -> str:
        if any(character.isdigit() for character in name):
            raise ValueError("Name must not contain digits")
        return name


class RenamedEvent(Event):  # a subclass keeps the policy
    renamed_at: datetime


@pytest.fixture
async def client() -> AsyncIterator[httpx2.AsyncClient]:
    app = FastAPI()
    register_exception_handlers(app)

    @app.post("/events", status_code=status.HTTP_201_CREATED)
    async def create(event: Event) -> Event:
        return event

    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


async def test_a_validator_value_error_reaches_the_client_without_its_prefix(
    client: httpx2.AsyncClient,
) -> None:
    response = await client.post("/events", json={"name": "R2", "starts_at": "2026-01-01T09:00Z"})
    assert response.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
    assert response.json()["details"] == [
        {"field": "body.name", "message": "Name must not contain digits"}
    ]


async def test_datetimes_keep_their_offset_and_naive_input_is_refused(
    client: httpx2.AsyncClient,
) -> None:
    aware = {"name": "Launch", "starts_at": "2026-01-01T09:00:00+02:00"}
    response = await client.post("/events", json=aware)
    assert response.status_code == status.HTTP_201_CREATED
    assert response.json()["starts_at"] == "2026-01-01T09:00:00+02:00"

    naive = {"name": "Launch", "starts_at": "2026-01-01T09:00:00"}
    response = await client.post("/events", json=naive)
    assert response.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT
    assert response.json()["details"][0]["field"] == "body.starts_at"


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_at": datetime(2026, 1, 1)},  # naive on purpose
        {"ends_at": datetime(2026, 1, 1)},
        {"reminders": [datetime(2026, 1, 1)]},
        {"renamed_at": datetime(2026, 1, 1)},
    ],
    ids=["field", "optional", "list", "subclass field"],
)
def test_a_naive_datetime_never_gets_into_a_schema(fields: dict[str, object]) -> None:
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    values = {"name": "Launch", "starts_at": aware, "renamed_at": aware, **fields}
    with pytest.raises(ValidationError, match="timezone info"):
        RenamedEvent.model_validate(values)


def test_a_datetime_serializes_with_the_offset_it_was_given() -> None:
    paris = timezone(timedelta(hours=1))
    event = Event(name="Launch", starts_at=datetime(2026, 1, 1, 9, tzinfo=paris))
    assert event.model_dump(mode="json")["starts_at"] == "2026-01-01T09:00:00+01:00"
    event = Event(name="Launch", starts_at=datetime(2026, 1, 1, 9, tzinfo=UTC))
    assert event.model_dump(mode="json")["starts_at"] == "2026-01-01T09:00:00Z"
