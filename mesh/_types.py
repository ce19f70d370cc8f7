"""Physical types of contracts: parse them, map them to Spark and Athena, compare widths.

Contracts use Spark SQL / Athena DDL type names as ``physicalType`` (``string``,
``int``, ``bigint``, ``decimal(18,2)``, ``date``, ``timestamp``, ``boolean``,
``double``). Parsing is pure Python, so the Spark schema is generated without a JVM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import types as T


class TypeSpecError(ValueError):
    """A physical type is unknown or does not fit its logical type."""


@dataclass(frozen=True)
class TypeSpec:
    """A parsed physical type: its base name, and precision/scale for decimals."""

    base: str
    precision: int = 0
    scale: int = 0

    def ddl(self) -> str:
        """Return the DDL spelling (``decimal(18,2)``), also the Athena/Glue type."""
        if self.base == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return self.base


_INTEGERS = ("tinyint", "smallint", "int", "bigint")
_SIMPLE = {
    "string": T.StringType,
    "tinyint": T.ByteType,
    "smallint": T.ShortType,
    "int": T.IntegerType,
    "bigint": T.LongType,
    "float": T.FloatType,
    "double": T.DoubleType,
    "boolean": T.BooleanType,
    "date": T.DateType,
    "timestamp": T.TimestampType,
}
_ALIASES = {"integer": "int", "long": "bigint", "varchar": "string", "bool": "boolean"}
_LOGICAL = {
    "string": {"string"},
    "integer": set(_INTEGERS),
    "number": {"decimal", "float", "double"},
    "boolean": {"boolean"},
    "date": {"date"},
    "timestamp": {"timestamp"},
}
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def parse_type(physical: str) -> TypeSpec:
    """Parse a physical type.

    Examples
    --------
    >>> parse_type("DECIMAL(18, 2)")
    TypeSpec(base='decimal', precision=18, scale=2)
    """
    text = physical.strip().lower()
    text = _ALIASES.get(text, text)
    match = _DECIMAL.match(text)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 0 < precision <= 38 or scale > precision:
            raise TypeSpecError(f"decimal({precision},{scale}) is out of range")
        return TypeSpec("decimal", precision, scale)
    if text in _SIMPLE:
        return TypeSpec(text)
    raise TypeSpecError(
        f"unknown physicalType {physical!r}: expected decimal(p,s) or one of {', '.join(_SIMPLE)}"
    )


def check_logical(logical: str, spec: TypeSpec) -> None:
    """Raise when ``spec`` cannot hold the contract's ``logicalType``."""
    allowed = _LOGICAL.get(logical)
    if allowed is None:
        raise TypeSpecError(f"logicalType {logical!r} is not supported in product tables")
    if spec.base not in allowed:
        raise TypeSpecError(f"physicalType {spec.ddl()} does not fit logicalType {logical}")


def spark_type(spec: TypeSpec) -> T.DataType:
    """Return the Spark type of a physical type."""
    if spec.base == "decimal":
        return T.DecimalType(spec.precision, spec.scale)
    return _SIMPLE[spec.base]()


def widens(old: TypeSpec, new: TypeSpec) -> bool:
    """Return whether every value of ``old`` fits ``new`` exactly (equal counts as widening).

    Examples
    --------
    >>> widens(parse_type("int"), parse_type("bigint"))
    True
    >>> widens(parse_type("bigint"), parse_type("int"))
    False
    >>> widens(parse_type("decimal(10,2)"), parse_type("decimal(18,4)"))
    True
    """
    if old == new:
        return True
    if old.base in _INTEGERS and new.base in _INTEGERS:
        return _INTEGERS.index(new.base) >= _INTEGERS.index(old.base)
    if old.base == "decimal" and new.base == "decimal":
        return new.scale >= old.scale and (new.precision - new.scale) >= (old.precision - old.scale)
    if old.base in _INTEGERS and new.base == "decimal":
        digits = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19}[old.base]
        return new.precision - new.scale >= digits
    if old.base == "float" and new.base == "double":
        return True
    return old.base == "date" and new.base == "timestamp"
