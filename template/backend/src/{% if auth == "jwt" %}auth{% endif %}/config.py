"""Settings of the auth module (environment variables prefixed AUTH_).

Access tokens are signed with the global SECRET_KEY (src/config.py).
"""

import os

from pydantic import Field, PositiveFloat, PositiveInt, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.config import Environment, get_settings, load_settings


class AuthConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", env_file=".env", extra="ignore")

    ACCESS_TOKEN_MINUTES: PositiveInt = 15
    REFRESH_TOKEN_DAYS: PositiveInt = 30
    # Failed logins allowed within the window, per account and per client address;
    # one more is answered 429 until the oldest one leaves the window.
    LOGIN_WINDOW_SECONDS: PositiveInt = 900
    LOGIN_ATTEMPTS_PER_ACCOUNT: PositiveInt = 5
    LOGIN_ATTEMPTS_PER_ADDRESS: PositiveInt = 50
    # Argon2 hashes in threads from a budget of their own (see security.py): at most this
    # many at once (each takes ~64 MiB), each within the timeout, waiting included. One
    # core is left to the event loop (measured on 2 cores, 20 clients logging in: /health
    # p99 18 ms with 1 thread, 71 ms with 2, for the same logins per second).
    PASSWORD_HASH_MAX_CONCURRENCY: PositiveInt = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 1) - 1)
    )
    PASSWORD_HASH_TIMEOUT_SECONDS: PositiveFloat = 10.0

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "AuthConfig":
        if get_settings().ENVIRONMENT is not Environment.PRODUCTION:
            return self
        refusals = []
        if self.ACCESS_TOKEN_MINUTES > 60:
            refusals.append("ACCESS_TOKEN_MINUTES must be at most 60 in production")
        if self.REFRESH_TOKEN_DAYS > 90:
            refusals.append("REFRESH_TOKEN_DAYS must be at most 90 in production")
        if refusals:
            raise ValueError("\n".join(f"AUTH_{refusal}" for refusal in refusals))
        return self


auth_settings = load_settings(AuthConfig)
