"""Settings of the posts module only (environment variables prefixed POSTS_)."""

from pydantic import PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict


class PostsConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POSTS_", env_file=".env", extra="ignore")

    DEFAULT_PAGE_SIZE: PositiveInt = 50
    MAX_PAGE_SIZE: PositiveInt = 100


posts_settings = PostsConfig()
