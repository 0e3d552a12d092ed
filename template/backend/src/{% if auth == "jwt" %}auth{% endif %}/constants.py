# Access tokens are signed and checked with this algorithm only: a token that names
# another one (none, HS512, RS256...) is refused, whatever its signature.
JWT_ALGORITHM = "HS256"
TOKEN_TYPE = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret

EMAIL_MAX_LENGTH = 254  # RFC 5321's longest path
# One @ between a local part and a dotted domain; whether it receives mail is not checked.
EMAIL_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
PASSWORD_MIN_LENGTH = 8
# Argon2 reads any length; the cap keeps one request from costing a megabyte of hashing.
PASSWORD_MAX_LENGTH = 128
