"""create post table

Revision ID: 3f2a9c1d7b10
Revises:
Create Date: 2026-11-24 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import src.models
from alembic import op

revision: str = "3f2a9c1d7b10"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            src.models.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            src.models.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("post_pkey")),
    )


def downgrade() -> None:
    op.drop_table("post")
