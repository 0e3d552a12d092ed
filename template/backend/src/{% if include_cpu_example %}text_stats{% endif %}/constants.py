TEXT_MAX_LENGTH = 1_000_000
WORDS_PER_MINUTE = 200  # reading speed used by the statistics
TOP_WORDS = 5
