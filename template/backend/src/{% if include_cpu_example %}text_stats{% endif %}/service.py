"""CPU-bound work: it runs in a worker process, so it is a plain module-level `def`.

run_in_process pickles the function by its import path and the arguments and result
by value: keep both small and picklable (a str in, a pydantic model out).
"""

import re
from collections import Counter

from src.text_stats.constants import TOP_WORDS, WORDS_PER_MINUTE
from src.text_stats.schemas import TextStats, WordCount

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def text_statistics(text: str) -> TextStats:
    words = WORD.findall(text.lower())
    counts = Counter(words)
    return TextStats(
        words=len(words),
        unique_words=len(counts),
        reading_minutes=round(len(words) / WORDS_PER_MINUTE, 2),
        top_words=[WordCount(word=word, count=n) for word, n in counts.most_common(TOP_WORDS)],
    )
