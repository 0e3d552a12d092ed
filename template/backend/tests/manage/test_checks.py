"""The static checks of `manage check`, run on small source trees written to tmp_path.

Each planted problem is marked `# <-` in its source; findings must point at that line.
"""

from pathlib import Path
from textwrap import dedent

import pytest

from manage.checks import CODES, Finding, ToolError, static_findings, unsilenced
from manage.checks.blocking import blocking_findings
from manage.checks.imports import import_findings
from manage.checks.layout import layout_findings
from manage.checks.models import model_findings
from manage.checks.responses import response_findings
from manage.checks.source import Project

BACKEND = Path(__file__).resolve().parents[2]
CORE = {
    "src/__init__.py": "",
    "src/models.py": """
        from sqlalchemy import MetaData
        from sqlalchemy.orm import DeclarativeBase

        NAMING_CONVENTION = {
            "ix": "%(column_0_label)s_idx",
            "uq": "%(table_name)s_%(column_0_name)s_key",
            "ck": "%(table_name)s_%(constraint_name)s_check",
            "fk": "%(table_name)s_%(column_0_name)s_fkey",
            "pk": "%(table_name)s_pkey",
        }


        class Base(DeclarativeBase):
            metadata = MetaData(naming_convention=NAMING_CONVENTION)
    """,
    "src/concurrency.py": """
        async def run_sync(func, /, *args, budget):
            return func(*args)
    """,
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {**CORE, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip(), encoding="utf-8")
    return root


def marked(root: Path, name: str, nth: int = 1) -> int:
    """The line of the nth `# <-` mark in a file of the tree."""
    lines = (root / name).read_text("utf-8").splitlines()
    return [number for number, line in enumerate(lines, 1) if "# <-" in line][nth - 1]


def places(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return sorted((finding.path, finding.line, finding.rule) for finding in findings)


def test_blocking_helper_in_another_module_is_found_at_the_call(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/utils.py": """
                import time as clock


                def pause() -> None:
                    clock.sleep(0.1)  # <-


                def settle() -> None:
                    pause()
            """,
            "src/shop/service.py": """
                from src.shop.utils import settle


                async def checkout() -> None:
                    settle()  # <-
            """,
        },
    )
    [finding] = blocking_findings(Project(root))
    assert (finding.path, finding.line, finding.rule) == (
        "src/shop/service.py",
        marked(root, "src/shop/service.py"),
        "blocking-helper",
    )
    assert "src.shop.utils.settle()" in finding.message
    assert f"pause() -> time.sleep (src/shop/utils.py:{marked(root, 'src/shop/utils.py')})" in (
        finding.message
    )


def test_blocking_calls_through_modules_methods_and_classes(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/client.py": """
                import httpx2
                import subprocess
                from pathlib import Path


                class Client:
                    def __init__(self) -> None:
                        self.http = httpx2.Client()

                    def config(self) -> str:
                        return self._read()

                    def _read(self) -> str:
                        return Path("config").read_text()

                    async def refresh(self) -> str:
                        return self.config()  # <-


                def run() -> None:
                    subprocess.run(["true"], check=True)
            """,
            "src/shop/router.py": """
                from src.shop import client as shop_client
                from src.shop.client import Client


                async def make() -> None:
                    Client()  # <-
                    shop_client.run()  # <-
            """,
        },
    )
    assert places(blocking_findings(Project(root))) == [
        ("src/shop/client.py", marked(root, "src/shop/client.py"), "blocking-helper"),
        ("src/shop/router.py", marked(root, "src/shop/router.py", 1), "blocking-helper"),
        ("src/shop/router.py", marked(root, "src/shop/router.py", 2), "blocking-helper"),
    ]


def test_helpers_passed_to_a_thread_or_process_are_fine(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/service.py": """
                import time

                import anyio.to_thread
                from fastapi.concurrency import run_in_threadpool

                from src.concurrency import run_sync


                def pause(seconds: float) -> None:
                    time.sleep(seconds)


                async def fine(budget: object) -> None:
                    await run_sync(pause, 1, budget=budget)
                    await run_in_threadpool(pause, 1)
                    await run_in_threadpool(lambda: pause(1))
                    await anyio.to_thread.run_sync(pause, 1)

                    def nested() -> None:
                        pause(1)

                    await run_in_threadpool(nested)
            """,
        },
    )
    assert blocking_findings(Project(root)) == []


def test_ruff_and_the_helper_check_together(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/service.py": """
                import sqlite3
                import time


                async def slow() -> None:
                    time.sleep(1)  # <-
                    sqlite3.connect("shop.db")  # <-
            """,
        },
    )
    line = marked(root, "src/shop/service.py")
    assert places(static_findings(root)) == [
        ("src/shop/service.py", line, "ASYNC251"),  # ruff; not reported twice
        ("src/shop/service.py", line + 1, "blocking-call"),  # unknown to ruff
    ]


def test_module_layout(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/registry.py": """
                DOMAIN_MODULES: tuple[str, ...] = (
                    "shop",
                    "ghost",  # <-
                )
            """,
            "src/main.py": "from src.health.router import router as health_router\n",
            "src/health/__init__.py": "",
            "src/health/router.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
            "src/shop/__init__.py": "",
            "src/shop/router.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
            "src/shop/models.py": """
                from src.models import Base


                class Order(Base):
                    __tablename__ = "order"
            """,
            "src/shop/service.py": """
                import fastapi

                from src.shop.models import Order

                extra = fastapi.APIRouter()  # <-


                class Refund(Order):  # <-
                    pass
            """,
            "src/stray/__init__.py": "",
            "src/stray/router.py": "",
        },
    )
    service = marked(root, "src/shop/service.py")
    assert places(layout_findings(Project(root))) == [
        ("src/registry.py", marked(root, "src/registry.py"), "layout"),  # no package
        ("src/shop/service.py", service, "layout"),  # a router outside router.py
        ("src/shop/service.py", marked(root, "src/shop/service.py", 2), "layout"),  # a model
        ("src/stray/router.py", 1, "layout"),  # not registered
    ]


def test_cross_domain_imports(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/exceptions.py": "class AppError(Exception): ...\n",
            "src/auth/__init__.py": "from src.auth.service import verify\n",
            "src/auth/service.py": "def verify() -> None: ...\n",
            "src/auth/constants.py": "class ErrorCode: ...\n",
            "src/posts/__init__.py": "",
            "src/posts/service.py": "",
            "src/posts/constants.py": "class ErrorCode: ...\nLIMIT = 3\n",
            "src/shop/__init__.py": "",
            "src/shop/service.py": """
                import src.posts.service
                import src.posts.service as posts_service
                from src.auth import constants as auth_constants
                from src.auth import service as auth_service
                from src.exceptions import AppError
                from src.posts import service as post_service
                from src.posts.constants import LIMIT as POSTS_LIMIT
                from src.posts.constants import ErrorCode as PostsErrorCode
                from src.shop import constants
                from src.auth.service import verify  # <-
                from src.auth import service  # <-
                from src.auth import verify as check  # <-
                from ..auth.service import verify as also  # <-
                import src.posts.service as ps  # <-
                from src.posts import service as s  # <-
                from src.posts.constants import ErrorCode as Code  # <-
            """,
        },
    )
    lines = [marked(root, "src/shop/service.py", nth) for nth in range(1, 8)]
    findings = sorted(import_findings(Project(root)))
    assert [finding.line for finding in findings] == lines
    assert "from src.auth import service as auth_service" in findings[0].message
    assert "as PostsErrorCode" in findings[-1].message


def test_naming_convention_table_and_column_names(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/models.py": """
                from datetime import date, datetime

                from sqlalchemy import DateTime, ForeignKey, Index, UniqueConstraint
                from sqlalchemy.orm import Mapped, mapped_column

                from src.models import Base


                class Order(Base):
                    __tablename__ = "order"
                    __table_args__ = (
                        UniqueConstraint("code", name="order_code_key"),
                        Index("order_placed_at_idx", "placed_at"),
                        UniqueConstraint("ref", name="uq_order_ref"),  # <-
                    )

                    id: Mapped[int] = mapped_column(primary_key=True)
                    placed_at: Mapped[datetime]
                    due_date: Mapped[date | None]
                    shipped: Mapped[datetime | None]  # <-
                    paid = mapped_column(DateTime(timezone=True))  # <-
                    customer_id: Mapped[int] = mapped_column(
                        ForeignKey("customer.id", name="fk_customer")  # <-
                    )


                class OrderItems(Base):  # <-
                    __tablename__ = "OrderItems"
            """,
            "alembic/versions/2026_01_01_0000-abc_create_order.py": """
                import sqlalchemy as sa
                from alembic import op


                def upgrade() -> None:
                    op.create_table(  # <-
                        "orders",
                        sa.Column("id", sa.Integer(), nullable=False),
                        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
                        sa.Column("shipped", sa.DateTime(timezone=True)),  # <-
                        sa.PrimaryKeyConstraint("id", name=op.f("orders_pkey")),
                        sa.UniqueConstraint("code", name="orders_code_unique"),  # <-
                    )
                    op.create_index(op.f("orders_placed_at_idx"), "orders", ["placed_at"])
                    op.create_index("ix_orders_code", "orders", ["code"])  # <-
            """,
        },
    )
    models, migration = "src/shop/models.py", "alembic/versions/2026_01_01_0000-abc_create_order.py"
    assert places(model_findings(Project(root))) == sorted(
        [
            *((models, marked(root, models, n), rule) for n, rule in enumerate(MODEL_RULES, 1)),
            *((migration, marked(root, migration, n), r) for n, r in enumerate(MIGRATION_RULES, 1)),
        ]
    )
    # Without the convention, every constraint name is a guess: that alone is a finding.
    models_py = root / "src/models.py"
    models_py.write_text(models_py.read_text("utf-8").replace("naming_convention=", "info="))
    assert ("src/models.py", 1, "naming-convention") in places(model_findings(Project(root)))


MODEL_RULES = [
    "naming-convention",  # uq_order_ref
    "datetime-column",  # shipped
    "datetime-column",  # paid
    "naming-convention",  # fk_customer
    "table-name",  # OrderItems
]
MIGRATION_RULES = ["table-name", "datetime-column", "naming-convention", "naming-convention"]


def test_a_response_built_from_jsonable_encoder(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/router.py": """
                from fastapi.encoders import jsonable_encoder
                from fastapi.responses import JSONResponse, Response


                async def listed(items: list[object]) -> JSONResponse:
                    return JSONResponse(jsonable_encoder(items))  # <-


                async def later(items: list[object]) -> Response:
                    body = jsonable_encoder(items)
                    return JSONResponse(content=body, status_code=201)  # <-


                async def fine(items: list[object]) -> list[object]:
                    return jsonable_encoder(items)
            """,
        },
    )
    router = "src/shop/router.py"
    assert places(response_findings(Project(root))) == [
        (router, marked(root, router, 1), "jsonable-encoder-response"),
        (router, marked(root, router, 2), "jsonable-encoder-response"),
    ]


def test_noqa_silences_the_rule_it_names_on_its_line(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/service.py": """
                import sqlite3
                import time


                async def slow() -> None:
                    time.sleep(1)  # noqa: ASYNC251 (a test double, never served)
                    sqlite3.connect("a.db")  # noqa: MNG101
                    sqlite3.connect("b.db")  # noqa: blocking-call
                    sqlite3.connect("c.db")  # noqa: MNG102  # <- another rule: still reported
                    sqlite3.connect("d.db")  # noqa  # <- names no rule: still reported
            """,
        },
    )
    kept, silenced = unsilenced(static_findings(root), root, CODES)
    service = "src/shop/service.py"
    assert places(kept) == [
        (service, marked(root, service, 1), "blocking-call"),
        (service, marked(root, service, 2), "blocking-call"),
    ]
    assert silenced == 3


def test_a_file_that_does_not_parse_is_one_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"src/shop/__init__.py": "", "src/shop/service.py": "def (:\n"})
    with pytest.raises(ToolError, match=r"^src/shop/service.py:1: cannot parse: invalid syntax$"):
        static_findings(root)


def test_the_project_passes_its_static_checks() -> None:
    assert [str(finding) for finding in static_findings(BACKEND)] == []
