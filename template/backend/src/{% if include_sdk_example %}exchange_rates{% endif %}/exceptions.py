from src.exceptions import ExternalServiceError, NotFoundError


class CurrencyNotFoundError(NotFoundError):
    code = "currency_not_found"
    message = "The exchange-rates service does not know this currency."


class ExchangeRatesUnavailableError(ExternalServiceError):
    code = "exchange_rates_unavailable"
    message = "The exchange-rates service failed or could not be reached."
