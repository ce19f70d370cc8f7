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


def test_a_table_registered_as_it_is_is_left_alone_and_a_change_is_written() -> None:
    """A batch's build registers every table again: an unchanged one costs two reads."""
    import dataclasses

    import boto3
    from moto import mock_aws

    from goldmine.catalog import TableSpec, register_table

    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lakehouse")
        writes: list[str] = []
        for client in (glue, s3):
            client.meta.events.register(
                "before-call.*.*",
                lambda model, **_: (
                    writes.append(model.name)
                    if not model.name.startswith(("Get", "List", "Head"))
                    else None
                ),
            )
        spec = TableSpec(
            database="lakehouse_gold", name="daily_sales", location="s3://lakehouse/gold/ds/",
            columns=(("order_date", "date", ""), ("revenue_usd", "decimal(18,2)", "")),
            table_format="delta", parameters={"grain": "one row per day and store"},
        )  # fmt: skip
        assert register_table(glue, s3, spec) is True  # its database created when missing
        assert writes == ["CreateTable", "CreateDatabase", "CreateTable", "PutObject"]
        other = dataclasses.replace(spec, name="product_monthly")
        writes.clear()
        assert register_table(glue, s3, other) is True  # the database asked for no more
        assert writes == ["CreateTable", "PutObject"]
        writes.clear()
        assert register_table(glue, s3, spec) is False  # Glue and the descriptor hold it
        assert writes == []
        wider = dataclasses.replace(spec, columns=(*spec.columns, ("n", "bigint", "")))
        assert register_table(glue, s3, wider) is True
        assert "UpdateTable" in writes and "PutObject" in writes
        held = glue.get_table(DatabaseName="lakehouse_gold", Name="daily_sales")["Table"]
        assert [c["Name"] for c in held["StorageDescriptor"]["Columns"]] == [
            "order_date", "revenue_usd", "n"
        ]  # fmt: skip
        writes.clear()
        s3.delete_object(Bucket="lakehouse", Key="_catalog/lakehouse_gold/daily_sales.json")
        assert register_table(glue, s3, wider) is True  # a lost descriptor is written again
        assert writes[-1] == "PutObject"
