from typing import Literal

from src.schemas import CustomModel


class Liveness(CustomModel):
    status: Literal["ok"] = "ok"


class Readiness(CustomModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"
