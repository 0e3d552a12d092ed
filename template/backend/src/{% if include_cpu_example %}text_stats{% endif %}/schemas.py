from pydantic import Field

from src.schemas import CustomModel
from src.text_stats.constants import TEXT_MAX_LENGTH


class Text(CustomModel):
    text: str = Field(max_length=TEXT_MAX_LENGTH, examples=["The cat and the hat."])


class WordCount(CustomModel):
    word: str
    count: int


class TextStats(CustomModel):
    words: int
    unique_words: int
    reading_minutes: float
    top_words: list[WordCount]
