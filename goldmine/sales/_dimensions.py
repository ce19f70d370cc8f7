"""Pure builders of the dimension feeds: stores, customers, products and fx rates.

Every attribute is a function of the seed and the member's index, so the same
member looks the same in every batch and no batch needs the history of the others.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from goldmine.sales._feeds import csv_header

STORES_HEADER = csv_header("stores")
CUSTOMERS_HEADER = csv_header("customers")
PRODUCTS_HEADER = csv_header("products")
FX_HEADER = csv_header("fx_rates")

#: Extra columns a source may add without notice (D14), per feed.
EXTRA_COLUMNS: dict[str, str] = {
    "customers": "loyalty_tier",
    "products": "supplier_code",
}
EXTRA_VALUES: tuple[str, ...] = ("gold", "silver", "bronze", "x-17", "n/a")

#: Prefix of customer ids that never arrive in any customers batch (D8).
NEVER_CUSTOMER_BASE = 90_000_000

CITIES: dict[str, tuple[str, ...]] = {
    "US": ("New York", "Chicago", "Austin", "Seattle", "Denver", "Boston"),
    "DE": ("Berlin", "Hamburg", "Munich", "Cologne"),
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse"),
    "GB": ("London", "Manchester", "Leeds", "Bristol"),
}
COUNTRIES: tuple[str, ...] = ("US", "US", "US", "DE", "FR", "GB")
SEGMENTS: tuple[str, ...] = ("consumer", "consumer", "small_business", "corporate")
FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas",
    "Karin", "Liam", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sam", "Tara", "Uwe",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Muller", "Martin", "Brown", "Schmidt", "Dubois", "Taylor", "Weber",
    "Bernard", "Wilson", "Fischer", "Moreau", "Evans", "Wagner", "Laurent", "Clark",
)  # fmt: skip
CATEGORIES: dict[str, tuple[str, ...]] = {
    "electronics": ("audio", "phones", "computers", "cameras"),
    "home": ("kitchen", "furniture", "lighting"),
    "apparel": ("shoes", "outerwear", "tops"),
    "sports": ("cycling", "running", "outdoor"),
    "books": ("fiction", "non-fiction", "children"),
}
CATEGORY_NAMES: tuple[str, ...] = tuple(CATEGORIES)
#: Base usd_per_unit per foreign currency.
FX_BASE_MICROS: dict[str, int] = {"EUR": 1_085_000, "GBP": 1_270_000}


@dataclass(frozen=True, slots=True)
class Store:
    """One store or web shop."""

    store_id: str
    name: str
    channel: str
    region: str
    country: str
    opened_on: dt.date
    utc_offset_minutes: int
    currencies: tuple[str, ...]

    def row(self) -> list[str]:
        """Return the CSV row of the store."""
        return [
            self.store_id,
            self.name,
            self.channel,
            self.region,
            self.country,
            self.opened_on.isoformat(),
        ]


def build_stores() -> tuple[Store, ...]:
    """Return the fixed store list: 20 physical stores in 4 countries and 2 web shops."""
    layout = (
        ("US", "north-america", -300, ("USD",), 8),
        ("DE", "europe", 60, ("EUR",), 4),
        ("FR", "europe", 60, ("EUR",), 4),
        ("GB", "europe", 0, ("GBP",), 4),
    )
    stores: list[Store] = []
    number = 1
    for country, region, offset, currencies, count in layout:
        for i in range(count):
            city = CITIES[country][i % len(CITIES[country])]
            stores.append(
                Store(
                    store_id=f"S{number:03d}",
                    name=f"{city} {i // len(CITIES[country]) + 1}",
                    channel="store",
                    region=region,
                    country=country,
                    opened_on=dt.date(2015 + number % 9, 1 + number % 12, 1 + number % 27),
                    utc_offset_minutes=offset,
                    currencies=currencies,
                )
            )
            number += 1
    stores.append(
        Store("W001", "Web shop US", "web", "north-america", "US", dt.date(2016, 3, 1), -300,
              ("USD", "EUR", "GBP"))
    )  # fmt: skip
    stores.append(
        Store("W002", "Web shop Europe", "web", "europe", "DE", dt.date(2018, 9, 15), 0,
              ("USD", "EUR", "GBP"))
    )  # fmt: skip
    return tuple(stores)


def customer_id(index: int) -> str:
    """Return the id of the customer with 0-based ``index`` (``C00000001`` for 0)."""
    return f"C{index + 1:08d}"


def never_customer_id(number: int) -> str:
    """Return a customer id that no customers batch ever carries (D8)."""
    return f"C{NEVER_CUSTOMER_BASE + number:08d}"


@dataclass(frozen=True, slots=True)
class Customer:
    """Stable and changeable attributes of one customer."""

    index: int
    first_name: str
    last_name: str
    country: str
    city: str
    segment: str
    created: dt.date

    @property
    def email(self) -> str:
        """The clean email address."""
        return f"{self.first_name}.{self.last_name}{self.index + 1}@example.com".lower()


def build_customer(seed: int, index: int, start_date: dt.date) -> Customer:
    """Return the initial version of customer ``index`` (pure in seed and index)."""
    rng = random.Random(f"{seed}/customer/{index}")
    country = rng.choice(COUNTRIES)
    return Customer(
        index=index,
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        country=country,
        city=rng.choice(CITIES[country]),
        segment=rng.choice(SEGMENTS),
        created=start_date - dt.timedelta(days=rng.randint(30, 900)),
    )


def messy_email(email: str, rng: random.Random) -> str:
    """Return ``email`` with capitals and/or surrounding spaces (D11)."""
    local, _, domain = email.partition("@")
    variant = rng.randrange(3)
    if variant == 0:
        return f"{local.title()}@{domain.upper()}"
    if variant == 1:
        return f"  {email} "
    return f" {local.upper()}@{domain}"


def customer_row(customer: Customer, email: str, updated_at: str) -> list[str]:
    """Return the CSV row of a customer version."""
    return [
        customer_id(customer.index),
        email,
        customer.first_name,
        customer.last_name,
        customer.country,
        customer.city,
        customer.segment,
        updated_at,
    ]


def product_id(index: int) -> str:
    """Return the id of the product with 0-based ``index`` (``P000001`` for 0)."""
    return f"P{index + 1:06d}"


#: Prefix of product ids that appear in no products batch (D7).
UNKNOWN_PRODUCT_PREFIX = "PX"


def unknown_product_id(number: int) -> str:
    """Return a product id that no products batch ever carries (D7)."""
    return f"{UNKNOWN_PRODUCT_PREFIX}{number:05d}"


@dataclass(frozen=True, slots=True)
class Product:
    """One product version."""

    index: int
    name: str
    category: str
    subcategory: str
    list_price_cents: int
    active: bool

    def row(self, updated_at: str) -> list[str]:
        """Return the CSV row of this product version."""
        cents = self.list_price_cents
        return [
            product_id(self.index),
            f"SKU-{self.index + 1:07d}",
            self.name,
            self.category,
            self.subcategory,
            f"{cents // 100}.{cents % 100:02d}",
            "USD",
            "true" if self.active else "false",
            updated_at,
        ]


def build_product(seed: int, index: int) -> Product:
    """Return the initial version of product ``index`` (pure in seed and index)."""
    rng = random.Random(f"{seed}/product/{index}")
    category = rng.choice(CATEGORY_NAMES)
    subcategory = rng.choice(CATEGORIES[category])
    return Product(
        index=index,
        name=f"{subcategory.title()} {rng.choice(('Basic', 'Pro', 'Max', 'Lite', 'Plus'))} "
        f"{index + 1}",
        category=category,
        subcategory=subcategory,
        list_price_cents=rng.randint(199, 49_999),
        active=True,
    )


def change_product(product: Product, rng: random.Random) -> Product:
    """Return a changed version of ``product``: new price, category or active flag."""
    kind = rng.randrange(3)
    if kind == 0:
        factor = rng.choice((85, 90, 95, 105, 110, 120))
        cents = max(99, product.list_price_cents * factor // 100)
        return Product(product.index, product.name, product.category, product.subcategory,
                       cents, product.active)  # fmt: skip
    if kind == 1:
        category = rng.choice([c for c in CATEGORY_NAMES if c != product.category])
        return Product(product.index, product.name, category, rng.choice(CATEGORIES[category]),
                       product.list_price_cents, product.active)  # fmt: skip
    return Product(product.index, product.name, product.category, product.subcategory,
                   product.list_price_cents, not product.active)  # fmt: skip


def fx_rate_micros(seed: int, currency: str, rate_date: dt.date) -> int:
    """Return ``usd_per_unit`` of ``currency`` on ``rate_date`` in millionths (pure)."""
    rng = random.Random(f"{seed}/fx/{currency}/{rate_date.isoformat()}")
    return FX_BASE_MICROS[currency] + rng.randint(-30_000, 30_000)


def format_micros(micros: int) -> str:
    """Return millionths as exact decimal text with 6 decimals (``1085000`` -> ``1.085000``)."""
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
