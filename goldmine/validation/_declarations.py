"""The rule declarations of the sales tables (DATASET.md section 2), used by the rules."""

from __future__ import annotations

from decimal import Decimal

from goldmine.validation._rule import Rule, RuleSet

#: Order records (record level, D4/D5), in reason precedence. ``_json_ok`` is the
#: parse flag computed by ``goldmine.rules.clean_orders``.
ORDER_RULES = RuleSet(
    "orders",
    (
        Rule("unparseable", "_json_ok", "in_set", values=(True,), allow_null=False,
             description="the line is a JSON object in the orders format (D4)"),
        Rule("missing_order_id", "order_id", "not_null", description="order_id present (D5)"),
        Rule("missing_customer_id", "customer_id", "not_null",
             description="customer_id present (D5)"),
        Rule("missing_store_id", "store_id", "not_null", description="store_id present (D5)"),
        Rule("missing_order_ts", "order_ts", "not_null",
             description="order_ts present and a timestamp (D5, D9)"),
    ),
)  # fmt: skip

#: Order items (item level, D6/D7/D10), in reason precedence. ``_product_known`` and
#: ``usd_per_unit`` are joined in by ``goldmine.rules.validate_items``.
ITEM_RULES = RuleSet(
    "order_items",
    (
        Rule("invalid_quantity", "quantity", "between", min_value=1, allow_null=False,
             description="quantity > 0 (D6)"),
        Rule("invalid_price", "unit_price", "between", min_value=Decimal("0"),
             allow_null=False, description="unit_price >= 0 with at most 2 decimals (D6)"),
        Rule("invalid_discount", "discount", "between", min_value=Decimal("0"),
             max_value=Decimal("1"), allow_null=False,
             description="discount in 0..1 with at most 2 decimals (D6)"),
        Rule("unknown_product", "_product_known", "not_null",
             description="product_id appears in some products batch (D7)"),
        Rule("missing_fx_rate", "usd_per_unit", "not_null",
             description="a rate on or before order_date, USD at 1 (D10)"),
    ),
)  # fmt: skip
