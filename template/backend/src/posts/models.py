from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from src.models import Base, TimestampMixin
from src.posts.constants import TITLE_MAX_LENGTH


class Post(TimestampMixin, Base):
    __tablename__ = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    body: Mapped[str] = mapped_column(Text)
