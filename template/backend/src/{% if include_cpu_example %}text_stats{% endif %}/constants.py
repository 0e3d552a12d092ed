# Any JSON spelling of the longest text fits the default MAX_REQUEST_BODY_BYTES (2 MiB):
# at most 12 bytes a character (an emoji written as two \uXXXX escapes).
TEXT_MAX_LENGTH = 100_000
WORDS_PER_MINUTE = 200  # reading speed used by the statistics
TOP_WORDS = 5
