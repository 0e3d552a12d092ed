TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000
WORDS_PER_MINUTE = 200  # reading speed used by the statistics
