"""Database errors end up in logged tracebacks: their text must not carry the statement's values."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError


def test_a_failed_statement_does_not_show_its_values(engine: Engine) -> None:
    with pytest.raises(DBAPIError) as failure, engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table WHERE caller = :caller"), {"caller": "+33611223344"})
    assert "no_such_table" in str(failure.value)
    assert "611223344" not in str(failure.value)
