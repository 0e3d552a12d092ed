CURRENCY_PATTERN = r"^[A-Z]{3}$"  # ISO 4217 code, e.g. EUR
