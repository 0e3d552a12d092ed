"""The rendered app without the operations layer (bench/operations.py compares the two).

The same app, settings and lifespan, minus the request-id middleware (and with it the
request metrics, X-Request-ID and the in-flight registry); run without access lines.
"""

from fastapi import FastAPI
from src.main import App, create_app
from starlette.types import ASGIApp


class WithoutLayer(App):
    def build_middleware_stack(self) -> ASGIApp:
        return FastAPI.build_middleware_stack(self)


app = create_app()
app.__class__ = WithoutLayer
