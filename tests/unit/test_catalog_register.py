"""goldmine.catalog: a database or table another thread made is not an error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from goldmine.catalog import ensure_database
from goldmine.catalog._register import _upsert


class _Glue:
    """A Glue client whose errors are plain ``ClientError``s, as botocore raises them when
    two threads built a client's exception classes at once: ``glue.exceptions`` then
    names classes other than the one raised (so this client has no ``exceptions``)."""

    def __init__(self, code: str) -> None:
        self.code, self.calls = code, []

    def _fail(self, operation: str, **kwargs: Any) -> None:
        self.calls.append(operation)
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, operation)

    def create_database(self, **kwargs: Any) -> None:
        self._fail("CreateDatabase", **kwargs)

    def create_table(self, **kwargs: Any) -> None:
        self._fail("CreateTable", **kwargs)

    def update_table(self, **kwargs: Any) -> None:
        self.calls.append("UpdateTable")


def test_a_database_that_exists_is_left_as_it_is() -> None:
    glue = _Glue("AlreadyExistsException")
    ensure_database(glue, "mesh_catalog")
    assert glue.calls == ["CreateDatabase"]


def test_a_table_that_exists_is_updated() -> None:
    glue = _Glue("AlreadyExistsException")
    _upsert(glue, "mesh_catalog", {"Name": "products"})
    assert glue.calls == ["CreateTable", "UpdateTable"]


@pytest.mark.parametrize("code", ["AccessDeniedException", "InvalidInputException"])
def test_other_errors_are_raised(code: str) -> None:
    with pytest.raises(ClientError, match=code):
        ensure_database(_Glue(code), "mesh_catalog")
    with pytest.raises(ClientError, match=code):
        _upsert(_Glue(code), "mesh_catalog", {"Name": "products"})
