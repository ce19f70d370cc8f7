"""Build customer.customers: the SCD2 history of the customers feed (D11, D12).

The build returns the unmasked table; the publisher keeps it in the customer domain
(``_private/``) and publishes only the hashed/masked view the contract's
``piiTreatment`` asks for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

COLUMNS = (
    "customer_id", "valid_from", "valid_to", "is_current", "email", "first_name",
    "last_name", "country", "city", "segment",
)  # fmt: skip


def customer_history(accepted: DataFrame) -> DataFrame:
    """Return the SCD2 versions of the customers of the feed (no inferred members)."""
    from goldmine.rules import build_customer_scd2

    return build_customer_scd2(accepted).select(*COLUMNS)


def build_customers(context: BuildContext) -> DataFrame:
    """Build the product from the customers feed (its rejects stay in the context)."""
    return customer_history(context.clean_feed("customers").accepted)
