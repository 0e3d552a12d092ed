from datetime import date

from src.schemas import CustomModel


class ExchangeRates(CustomModel):
    base: str
    date: date
    rates: dict[str, float]
