"""Domain errors raised by services; views catch them and show their message to the user."""


class DomainError(Exception):
    """A state change that the rules of the programme refuse. The message is French and is
    shown to the user as is."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidTransition(DomainError):
    """The object is not in a state from which this move is allowed."""


class DeadlinePassed(DomainError):
    """The call is closed (or not open yet): nothing may change any more."""


class IncompleteDossier(DomainError):
    """A submission lacks required information; `missing` lists what, for the page."""

    def __init__(self, message: str, *, missing: list[str]):
        super().__init__(message, code="incomplete")
        self.missing = missing
