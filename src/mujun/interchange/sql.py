"""Quoting for the SQL the interchange layer writes for DuckDB."""


def identifier(name: str) -> str:
    """A column or table name, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string constant."""
    return "'" + text.replace("'", "''") + "'"
