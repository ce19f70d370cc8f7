"""A single-node reference build of the three gold tables, in DuckDB SQL (a benchmark peer).

Reads the landing files of a local directory laid out as DATASET.md section 1 (orders
JSON lines, customers/products/fx CSV) and computes ``daily_sales``,
``customer_lifetime`` and ``product_monthly`` (section 4) with the rules of sections 2-3
that affect gold. It is a peer for the speed benchmark, NOT used by the builds, and it
imports nothing from them nor from ``goldmine.rules``. ``tests/unit/test_reference_gold.py``
proves it equals the test oracle (``tests/oracle.py``) to the cent.

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.reference_gold LANDING_DIR

How each rule is done:

- D4: order lines are split from the file text (``read_text``), so line numbers are the
  physical ones; a line that is not valid JSON fails ``json_valid``. DuckDB's parser
  also accepts a trailing comma, which strict JSON (the oracle's ``json.loads``) does
  not: the few lines with a comma before a closing bracket are re-judged in Python. A
  file that is not valid UTF-8 is split in Python and only its undecodable lines are
  dropped. CSV rows with the wrong field count or non-UTF-8 bytes are dropped by
  ``read_csv(ignore_errors = true)`` with the dialect fixed.
- D5 and the record-level checks of the oracle: ids must be non-empty JSON strings,
  ``updated_at`` and ``order_ts`` readable timestamps, ``items`` absent, ``null`` or a
  list of objects; otherwise the record is excluded. JSON fragments are typed by their
  first character (``json_extract`` returns compact JSON text), never parsed twice.
- D9: a JSON number ``order_ts``/``updated_at`` is epoch milliseconds (truncated to the
  microsecond); text is ISO-8601, naive taken as UTC (the session time zone is UTC).
- D1 + D2: per ``order_id`` the accepted record with the newest ``updated_at`` instant
  wins; ties (a D1 duplicate) keep the first in landing order (ingest date, key, line).
- D3: ``order_date`` is the UTC date of ``order_ts``.
- D6, D7, D10: judged on the items of the current version only (only those reach gold);
  D7 looks up the ``product_id`` among all accepted products rows of any batch; D10: an
  ``ASOF`` join gives each (currency, order_date) its rate (that date's, else the latest
  earlier; the last landed wins per date and currency); USD is exactly 1.
- D8, D12, section 3: current customer and product = newest ``updated_at``, ties to the
  last landed (ingest date, key, row: a ``CREATE TABLE AS`` keeps the reader's row
  order); an unknown customer gets null segment/country.
- D14: ``union_by_name`` reads every header; extra columns are never selected.
- Money: ``quantity * unit_price * (1 - discount) * usd_per_unit`` in exact DECIMAL
  arithmetic (DECIMAL(18,2) inputs, DECIMAL(18,6) rate, DECIMAL(38,10) products and
  sums; DuckDB raises on overflow); half-up rounding only at the gold step
  (``avg_order_value_usd`` and ``return_rate`` by integer arithmetic, since a DuckDB
  DECIMAL division yields a DOUBLE). An item (of a current version, with a known
  product and a usable rate) whose numbers go beyond the source precision of DATASET.md
  section 3 (quantity, unit_price, discount: 2 decimals and below 1e16; usd_per_unit:
  6 decimals) makes the build raise instead of rounding silently.

Known divergences from the oracle, all outside what the generator produces: JSON with
duplicate keys (DuckDB keeps the first, Python the last), lone UTF-16 surrogate escapes
(DuckDB rejects the line), ISO-8601 forms only one side reads (Python's basic format
``20250106T120000``; DuckDB's time zone names), numbers beyond about 15 significant
digits (DuckDB's JSON reader goes through a double).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

__all__ = [
    "CUSTOMER_LIFETIME_COLUMNS",
    "DAILY_SALES_COLUMNS",
    "PRODUCT_MONTHLY_COLUMNS",
    "build_reference_gold",
    "landing_files",
    "main",
]

DAILY_SALES_COLUMNS = [
    "order_date",
    "store_id",
    "category",
    "orders",
    "units",
    "revenue_usd",
    "avg_order_value_usd",
]
CUSTOMER_LIFETIME_COLUMNS = [
    "customer_id",
    "first_order_date",
    "last_order_date",
    "orders",
    "revenue_usd",
    "segment",
    "country",
]
PRODUCT_MONTHLY_COLUMNS = [
    "month",
    "product_id",
    "units",
    "revenue_usd",
    "returned_units",
    "return_rate",
]
_INT_COLUMNS = ("orders", "units", "returned_units")

_DATE = r"(?P<ingest_date>\d{4}-\d{2}-\d{2})"
_BATCH = r"[^/]+"
#: Key layout of the feeds gold reads (DATASET.md section 1); the stores list is not
#: needed: gold takes ``store_id`` from the order.
_LAYOUT: dict[str, re.Pattern[str]] = {
    "orders": re.compile(rf"sales/orders/ingest_date={_DATE}/orders-{_BATCH}\.jsonl"),
    "customers": re.compile(rf"crm/customers/ingest_date={_DATE}/customers-{_BATCH}\.csv"),
    "products": re.compile(rf"catalog/products/ingest_date={_DATE}/products-{_BATCH}\.csv"),
    "fx_rates": re.compile(rf"finance/fx_rates/ingest_date={_DATE}/fx-{_BATCH}\.csv"),
}
#: Columns each CSV feed must have (gold reads these and nothing else).
_CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "country", "segment", "updated_at"),
    "products": ("product_id", "category", "updated_at"),
    "fx_rates": ("rate_date", "currency", "usd_per_unit"),
}

#: Whitespace stripped like Python's ``str.strip`` does for ASCII.
_WS = "chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
#: The epoch milliseconds Python's ``datetime`` can hold (years 1 to 9999).
_MS_RANGE = "-62135596800000 AND 253402300799999"

#: Typing of the JSON fragments ``json_extract`` returns (compact JSON text): the first
#: character tells the type, so no fragment is parsed twice.
_MACROS = f"""
CREATE TEMP MACRO gm_str(j) AS
    CASE WHEN starts_with(j, '"') THEN json_extract_string(j, '$') END;
CREATE TEMP MACRO gm_is_num(j) AS regexp_matches(j, '^-?[0-9]');
CREATE TEMP MACRO gm_is_null(j) AS j IS NULL OR j = 'null';
CREATE TEMP MACRO gm_money(j) AS
    CASE WHEN gm_is_num(j) THEN TRY_CAST(j AS DECIMAL(18, 2)) END;
CREATE TEMP MACRO gm_beyond(j) AS
    gm_is_num(j) AND NOT regexp_full_match(j, '-?[0-9]{{1,16}}(\\.[0-9]{{1,2}})?');
CREATE TEMP MACRO gm_text_ts(s) AS
    CASE WHEN regexp_matches(s, '^[ \\t\\n\\r\\x0b\\x0c]*[0-9]{{4}}')
         THEN TRY_CAST(trim(s, {_WS}) AS TIMESTAMPTZ) END;
CREATE TEMP MACRO gm_ms_ts(j) AS
    CASE WHEN gm_is_num(j) AND TRY_CAST(j AS DECIMAL(38, 18)) BETWEEN {_MS_RANGE}
         THEN CAST(make_timestamp(CAST(trunc(CAST(j AS DECIMAL(38, 18)) * 1000) AS BIGINT))
                   AS TIMESTAMPTZ) END;
"""


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_text(v) for v in values) + "]"


def landing_files(landing_dir: Path) -> dict[str, list[Path]]:
    """Return the feed files gold reads, per feed, in landing order (ingest date, key).

    Parameters
    ----------
    landing_dir
        Directory standing in for the landing bucket (DATASET.md section 1).

    Returns
    -------
    dict of str to list of Path
        ``orders``, ``customers``, ``products`` and ``fx_rates`` files; empty files are
        left out (they hold no record, not even a header).
    """
    root = Path(landing_dir)
    found: dict[str, list[tuple[dt.date, str, Path]]] = {feed: [] for feed in _LAYOUT}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        key = path.relative_to(root).as_posix()
        for feed, pattern in _LAYOUT.items():
            match = pattern.fullmatch(key)
            if match is not None:
                if path.stat().st_size > 0:
                    day = dt.date.fromisoformat(match["ingest_date"])
                    found[feed].append((day, key, path.resolve()))
                break
    return {feed: [p for _, _, p in sorted(entries)] for feed, entries in found.items()}


# --- reading ------------------------------------------------------------------------------


def _load_order_text(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """Create ``order_text(file_ord, line, text)``: one row per physical line (D4)."""
    con.execute("CREATE TEMP TABLE order_text (file_ord INTEGER, line BIGINT, text VARCHAR)")
    if not files:
        return
    text_files = list(files)
    try:
        _insert_text(con, text_files)
        return
    except duckdb.InvalidInputException as exc:  # read_text wants whole-file UTF-8
        if "UTF-8" not in str(exc):
            raise
    raw: list[tuple[int, int, str]] = []
    text_files = []
    for ord_, path in enumerate(files, start=1):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raw.extend(_decoded_lines(ord_, data))
        else:
            text_files.append(path)
    con.execute("DELETE FROM order_text")
    _insert_text(con, files, only=text_files)
    if raw:
        frame = pd.DataFrame(raw, columns=["file_ord", "line", "text"])
        con.register("gm_raw_lines", frame)
        con.execute("INSERT INTO order_text SELECT file_ord, line, text FROM gm_raw_lines")
        con.unregister("gm_raw_lines")


def _drop_lenient_json(con: duckdb.DuckDBPyConnection) -> None:
    """Blank the lines DuckDB's JSON parser accepts but strict JSON does not (D4).

    DuckDB's parser allows a trailing comma (``{"a": 1,}``); Python's ``json`` (the
    oracle's) does not. The few lines with a comma before a closing bracket are judged
    by ``json.loads``; those it rejects are blanked (and so excluded).
    """
    suspects = con.sql(
        r"""
        SELECT file_ord, line, text FROM order_text
        WHERE regexp_matches(text, ',\s*[\]}]') AND json_valid(text)
        """
    ).fetchall()
    bad = [(ord_, line) for ord_, line, text in suspects if not _strict_json(text)]
    if bad:
        con.executemany("UPDATE order_text SET text = '' WHERE file_ord = ? AND line = ?", bad)


def _strict_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _decoded_lines(file_ord: int, data: bytes) -> list[tuple[int, int, str]]:
    """Split a non-UTF-8 file in Python; an undecodable line becomes ``""`` (D4)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    rows = []
    for line, part in enumerate(parts, start=1):
        try:
            rows.append((file_ord, line, part.decode("utf-8")))
        except UnicodeDecodeError:
            rows.append((file_ord, line, ""))  # not JSON: excluded like any bad line
    return rows


def _insert_text(
    con: duckdb.DuckDBPyConnection, files: list[Path], only: list[Path] | None = None
) -> None:
    paths = [str(p) for p in files]
    read = [str(p) for p in (files if only is None else only)]
    if not read:
        return
    con.execute(
        f"""
        INSERT INTO order_text
        WITH f AS (
            SELECT path, CAST(ord AS INTEGER) AS ord
            FROM unnest({_sql_list(paths)}) WITH ORDINALITY AS u(path, ord)
        ), t AS (
            SELECT filename, string_split(content, chr(10)) AS parts
            FROM read_text({_sql_list(read)})
        ), l AS (
            SELECT filename, unnest(parts) AS text, generate_subscripts(parts, 1) AS line
            FROM t
        )
        SELECT f.ord, l.line,
               CASE WHEN l.line = 1 AND starts_with(l.text, chr(65279))
                    THEN substr(l.text, 2) ELSE l.text END
        FROM l JOIN f ON f.path = l.filename
        WHERE l.text <> ''
        """
    )


def _load_csv(con: duckdb.DuckDBPyConnection, feed: str, files: list[Path]) -> None:
    """Create ``<feed>_rows``: the rows of the right field count, in landing order (D4, D14).

    ``CREATE TABLE AS`` keeps the insertion order (``preserve_insertion_order``), so the
    table's ``rowid`` orders the rows as they landed (ties go to the last landed).
    """
    columns = _CSV_COLUMNS[feed]
    if not files:
        empty = ", ".join(f"NULL::VARCHAR AS {c}" for c in columns)
        con.execute(f"CREATE TEMP TABLE {feed}_rows AS SELECT {empty}, 0 AS file_ord WHERE false")
        return
    paths = [str(p) for p in files]
    selected = ", ".join(f"r.{c}" for c in columns)
    con.execute(
        f"""
        CREATE TEMP TABLE {feed}_rows AS
        WITH f AS (
            SELECT path, CAST(ord AS INTEGER) AS ord
            FROM unnest({_sql_list(paths)}) WITH ORDINALITY AS u(path, ord)
        )
        SELECT {selected}, f.ord AS file_ord
        FROM read_csv({_sql_list(paths)}, header = true, all_varchar = true,
                      delim = ',', quote = '"', escape = '"',
                      union_by_name = true, filename = '__gm_file', ignore_errors = true,
                      hive_partitioning = false, null_padding = false) AS r
        JOIN f ON f.path = r.__gm_file
        """
    )


# --- the build ----------------------------------------------------------------------------

_CLEAN = f"""
-- D4, D5, D9: every order record that is valid JSON, its fields typed (strings must be
-- JSON strings, timestamps readable, a field of another type reads as NULL)
CREATE TEMP TABLE records AS
WITH r AS (
    SELECT file_ord, line,
           CAST(json_extract(text, ['$.order_id', '$.customer_id', '$.store_id', '$.order_ts',
                                    '$.status', '$.currency', '$.updated_at', '$.items'])
                AS VARCHAR[]) AS v
    FROM order_text
    WHERE json_valid(text)
), s AS (
    SELECT file_ord, line, gm_str(v[1]) AS order_id, gm_str(v[2]) AS customer_id,
           gm_str(v[3]) AS store_id, gm_str(v[5]) AS status, gm_str(v[6]) AS currency,
           v[8] AS items, v[4] AS ts_json, gm_str(v[4]) AS ts_text,
           v[7] AS updated_json, gm_str(v[7]) AS updated_text
    FROM r
)
SELECT file_ord, line, order_id, customer_id, store_id, status, currency, items,
       CASE WHEN ts_text IS NULL THEN gm_ms_ts(ts_json) ELSE gm_text_ts(ts_text) END
           AS order_ts,
       CASE WHEN updated_text IS NULL THEN gm_ms_ts(updated_json)
            ELSE gm_text_ts(updated_text) END AS updated_at
FROM s;

-- D1, D2, D3: the accepted records (D5 and the oracle's record-level checks), the
-- current version per order_id: newest updated_at, ties to the first landed
CREATE TEMP TABLE current_orders AS
SELECT order_id, customer_id, store_id, status, currency, items,
       CAST(order_ts AS DATE) AS order_date
FROM records
WHERE order_id <> '' AND customer_id <> '' AND store_id <> ''
  AND order_ts IS NOT NULL AND updated_at IS NOT NULL
  AND (gm_is_null(items)
       OR starts_with(items, '[') AND list_has_all(['OBJECT'], json_type(items, '$[*]')))
QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY updated_at DESC, file_ord, line) = 1;

-- D12 and section 3: current customers and products (newest updated_at, ties to the
-- last landed)
CREATE TEMP TABLE customers AS
SELECT coalesce(customer_id, '') AS customer_id, segment, country
FROM (SELECT *, rowid AS rid, gm_text_ts(updated_at) AS upd FROM customers_rows)
WHERE upd IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY coalesce(customer_id, '')
                           ORDER BY upd DESC, file_ord DESC, rid DESC) = 1;

CREATE TEMP TABLE products AS
SELECT coalesce(product_id, '') AS product_id, category
FROM (SELECT *, rowid AS rid, gm_text_ts(updated_at) AS upd FROM products_rows)
WHERE upd IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY coalesce(product_id, '')
                           ORDER BY upd DESC, file_ord DESC, rid DESC) = 1;

-- D10: one rate per currency and date (the last landed), then the rate of each non-USD
-- (currency, order_date) of the current orders: that date's, else the latest earlier
CREATE TEMP TABLE fx AS
SELECT currency, rate_date, rate, TRY_CAST(rate AS DECIMAL(18, 6)) AS rate_exact
FROM (
    SELECT coalesce(trim(currency, {_WS}), '') AS currency, rowid AS rid, file_ord,
           TRY_CAST(trim(rate_date, {_WS}) AS DATE) AS rate_date,
           TRY_CAST(trim(usd_per_unit, {_WS}) AS DECIMAL(38, 18)) AS rate
    FROM fx_rates_rows
)
WHERE rate_date IS NOT NULL AND isfinite(rate_date) AND rate IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY currency, rate_date ORDER BY file_ord DESC, rid DESC) = 1;

CREATE TEMP TABLE order_rates AS
SELECT d.currency, d.order_date, fx.rate_exact AS rate,
       fx.rate_exact IS DISTINCT FROM fx.rate AS beyond
FROM (SELECT DISTINCT currency, order_date FROM current_orders WHERE currency <> 'USD') AS d
ASOF JOIN fx ON fx.currency = d.currency AND fx.rate_date <= d.order_date
UNION ALL
SELECT 'USD', order_date, 1::DECIMAL(18, 6), false
FROM (SELECT DISTINCT order_date FROM current_orders WHERE currency = 'USD');

-- D6, D7, D10: the valid lines of the current versions, with the exact USD amount
CREATE TEMP TABLE valid_lines AS
WITH i AS (
    SELECT order_id, customer_id, store_id, status, currency, order_date,
           unnest(from_json(items, '[{{"quantity": "JSON", "unit_price": "JSON",
                                       "discount": "JSON", "product_id": "JSON"}}]'))
               AS w
    FROM current_orders
), j AS (
    SELECT order_id, customer_id, store_id, status, currency, order_date,
           gm_money(w.quantity) AS quantity, gm_money(w.unit_price) AS unit_price,
           CASE WHEN gm_is_null(w.discount) THEN 0::DECIMAL(18, 2)
                ELSE gm_money(w.discount) END AS discount,
           gm_str(w.product_id) AS product_id,
           gm_beyond(w.quantity) OR gm_beyond(w.unit_price) OR gm_beyond(w.discount)
               AS beyond
    FROM i
)
SELECT j.order_id, j.customer_id, j.store_id, j.status, j.order_date, j.product_id,
       p.category, CAST(j.quantity AS BIGINT) AS quantity, j.beyond OR r.beyond AS beyond,
       CAST(j.quantity AS BIGINT) * j.unit_price * (1 - j.discount) * r.rate AS amount
FROM j
JOIN products AS p ON p.product_id = j.product_id                   -- unknown_product
JOIN order_rates AS r                                               -- missing_fx_rate
    ON r.currency = j.currency AND r.order_date = j.order_date
WHERE j.quantity > 0 AND j.quantity = trunc(j.quantity)             -- invalid_quantity
  AND j.unit_price >= 0                                             -- invalid_price
  AND j.discount BETWEEN 0 AND 1                                    -- invalid_discount
  OR j.beyond                                   -- kept only to make the build raise
;
"""

#: Exact half-up rounding of a DECIMAL(38,10) sum to cents (``round`` on a DECIMAL rounds
#: half away from zero, which is Python's ROUND_HALF_UP).
_CENTS = "CAST(round({x}, 2) AS DECIMAL(18, 2))"
#: Exact half-up of ``{x} / {n}`` (DECIMAL(38,10) by a positive count) to cents.
_AVG_CENTS = (
    "CAST(CAST(sign(u) * ((2 * abs(u) + d) // (2 * d)) AS DECIMAL(18, 0)) * 0.01 AS DECIMAL(18, 2))"
)

_GOLD = {
    "daily_sales": f"""
        SELECT order_date, store_id, category, orders, units,
               {_CENTS.format(x="revenue")} AS revenue_usd,
               {_AVG_CENTS} AS avg_order_value_usd
        FROM (
            SELECT *, CAST(revenue * 10000000000 AS HUGEINT) AS u,
                   CAST(orders AS HUGEINT) * 100000000 AS d
            FROM (
                SELECT order_date, store_id, category,
                       count(DISTINCT order_id) AS orders,
                       CAST(sum(quantity) AS BIGINT) AS units,
                       sum(amount) AS revenue
                FROM valid_lines
                WHERE status IN ('placed', 'shipped', 'delivered')
                GROUP BY order_date, store_id, category
            )
        )
        ORDER BY order_date, store_id, category
    """,
    "customer_lifetime": f"""
        SELECT l.customer_id, l.first_order_date, l.last_order_date, l.orders,
               {_CENTS.format(x="l.revenue")} AS revenue_usd, c.segment, c.country
        FROM (
            SELECT customer_id, min(order_date) AS first_order_date,
                   max(order_date) AS last_order_date,
                   count(DISTINCT order_id) AS orders, sum(amount) AS revenue
            FROM valid_lines
            WHERE status IN ('placed', 'shipped', 'delivered')
            GROUP BY customer_id
        ) AS l
        LEFT JOIN customers AS c ON c.customer_id = l.customer_id
        ORDER BY l.customer_id
    """,
    "product_monthly": f"""
        SELECT month, product_id, units, {_CENTS.format(x="revenue")} AS revenue_usd,
               returned_units,
               CAST(CAST((2 * CAST(returned_units AS HUGEINT) * 10000 + (units + returned_units))
                         // (2 * (units + returned_units)) AS DECIMAL(18, 0)) * 0.0001
                    AS DECIMAL(18, 4)) AS return_rate
        FROM (
            SELECT CAST(date_trunc('month', order_date) AS DATE) AS month, product_id,
                   CAST(coalesce(sum(quantity) FILTER (
                       WHERE status IN ('placed', 'shipped', 'delivered')), 0) AS BIGINT)
                       AS units,
                   coalesce(sum(amount) FILTER (
                       WHERE status IN ('placed', 'shipped', 'delivered')), 0) AS revenue,
                   CAST(coalesce(sum(quantity) FILTER (WHERE status = 'returned'), 0)
                       AS BIGINT) AS returned_units
            FROM valid_lines
            WHERE status IN ('placed', 'shipped', 'delivered', 'returned')
            GROUP BY ALL
        )
        WHERE units + returned_units > 0
        ORDER BY month, product_id
    """,
}


def _frame(con: duckdb.DuckDBPyConnection, query: str, columns: list[str]) -> pd.DataFrame:
    """Fetch a gold query as pandas: dates as ``datetime.date``, money as ``Decimal``."""
    frame = con.sql(query).to_arrow_table().to_pandas(date_as_object=True)
    frame = frame[columns].reset_index(drop=True)
    for column in _INT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype("int64")
    return frame


def build_reference_gold(landing_dir: Path) -> dict[str, pd.DataFrame]:
    """Build the three gold tables of DATASET.md section 4 from a landing directory.

    Parameters
    ----------
    landing_dir
        Directory laid out as the landing bucket (DATASET.md section 1).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``daily_sales``, ``customer_lifetime`` and ``product_monthly``, with the columns
        and types of the oracle's frames (``tests/oracle.py``): dates as
        ``datetime.date``, counts as ``int64``, money and ``return_rate`` as exact
        ``Decimal``; sorted by their keys.

    Raises
    ------
    ValueError
        When an item's ``quantity``/``unit_price``/``discount`` has more than 2 decimals
        (or reaches 1e16) or its fx rate more than 6 decimals: beyond DATASET.md section
        3, the reference build does not compute such amounts exactly.
    """
    files = landing_files(Path(landing_dir))
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")  # D3: order_date is the UTC date
        con.execute(_MACROS)
        _load_order_text(con, files["orders"])
        _drop_lenient_json(con)
        for feed in _CSV_COLUMNS:
            _load_csv(con, feed, files[feed])
        con.execute(_CLEAN)
        [(beyond,)] = con.sql("SELECT count(*) FROM valid_lines WHERE beyond").fetchall()
        if beyond:
            raise ValueError(
                f"{beyond} item(s) carry numbers beyond the source precision of "
                "DATASET.md section 3 (quantity, unit_price, discount: 2 decimals, "
                "below 1e16; usd_per_unit: 6 decimals)"
            )
        columns = {
            "daily_sales": DAILY_SALES_COLUMNS,
            "customer_lifetime": CUSTOMER_LIFETIME_COLUMNS,
            "product_monthly": PRODUCT_MONTHLY_COLUMNS,
        }
        return {name: _frame(con, query, columns[name]) for name, query in _GOLD.items()}
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    """Build the reference gold of a landing directory; print row counts and wall time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("landing_dir", type=Path, help="directory laid out as DATASET.md §1")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    gold = build_reference_gold(args.landing_dir)
    wall = time.perf_counter() - started
    for name, frame in gold.items():
        print(f"{name:<18} {len(frame):>10,} rows")
    print(f"wall time          {wall:>10.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
