"""Path converters for the values that reach the database as strings.

A `str` converter lets anything but "/" through, a NUL byte included, and PostgreSQL refuses
NUL in a text parameter: the lookup would fail with a 500 instead of a 404.
"""


class TokenConverter:
    """A random token as `secrets.token_urlsafe` makes them (letters, digits, - and _)."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
