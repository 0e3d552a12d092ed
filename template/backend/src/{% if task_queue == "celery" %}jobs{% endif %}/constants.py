PRIMES_MAX_LIMIT = 50_000_000  # largest `limit` of a primes job (about 50 MB of sieve)
URL_CHECK_TIMEOUT_SECONDS = 10.0
