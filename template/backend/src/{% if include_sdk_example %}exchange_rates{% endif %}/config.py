"""Settings of the exchange-rates module only (environment variables prefixed EXCHANGE_RATES_)."""

from pydantic import HttpUrl, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.config import load_settings


class ExchangeRatesConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXCHANGE_RATES_", env_file=".env", extra="ignore")

    API_URL: HttpUrl = HttpUrl("https://api.frankfurter.dev/v1")
    # This SDK's own thread budget: at most this many calls in flight at once.
    MAX_CONCURRENCY: PositiveInt = 10


exchange_rates_settings = load_settings(ExchangeRatesConfig)
