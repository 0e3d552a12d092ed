from src.exceptions import NotFoundError, ServiceUnavailableError


class JobNotFoundError(NotFoundError):
    code = "job_not_found"
    message = "No job has this id, or its result has expired."


class BrokerUnavailableError(ServiceUnavailableError):
    code = "broker_unavailable"
    message = "The task broker is not reachable."
