from src.exceptions import ServiceUnavailableError


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database_unavailable"
    message = "The database is not reachable."
