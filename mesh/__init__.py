"""The data mesh: domain data products defined by ODCS v3 contracts.

One contract per product (``mesh/<domain>/<product>/contract.yaml``) generates the
Spark schema, the validation rules, the Glue table, the consumer IAM policy and the
cost tags; :func:`placement` resolves where a product lives (settings) and checks its
contract server states it; :func:`publish_product` builds, validates (exact checks
decide, a great-expectations report is saved beside the registry), reconciles the
build's source records (:func:`reconcile_sources`) and publishes a version, keeping
the rejected records in the domain's private quarantine; the registry (with the
data) answers ``goldmine mesh list|show``; a run publishing several products settles
the landing once (:class:`Landing`) and hands it to each publish;
:func:`diff_contracts` classifies the changes between any two ODCS contracts of one
product (read leniently with :func:`load_odcs`) as breaking or not.
"""

from mesh._check_data import Check, DataCheck, check_data
from mesh._contract import (
    MESH_ROOT,
    Column,
    Contract,
    ContractError,
    contract_path,
    list_contracts,
    load_contract,
    load_odcs,
    load_product_contract,
    odcs_json_schema,
    parse_contract,
    parse_odcs,
    schema_errors,
    version_tuple,
)
from mesh._diff import Change, ContractDiff, diff_contracts
from mesh._generate import (
    Placement,
    consumer_role,
    cost_tags,
    default_naming,
    glue_table_spec,
    placement,
    private_location,
    product_location,
    quarantine_location,
    role_policy,
    rule_set,
    spark_schema,
    state_location,
    table_names,
)
from mesh._publish import (
    PublishRefusedError,
    PublishResult,
    apply_pii,
    built_from,
    publish_product,
    read_product,
)
from mesh._publish_products import PUBLISH_AT_ONCE, publish_products
from mesh._read_landing import Landing
from mesh._reconcile_sources import SourceReport, reconcile_sources
from mesh._registry import (
    list_entries,
    publication,
    published_contract,
    quality_line,
    quarantine_line,
    read_entry,
)
from mesh._report_quality import QualityReport, disagreements, report_quality

#: Publish order: a product after the products it is built from.
PUBLISH_ORDER: tuple[str, ...] = (
    "catalog.products",
    "catalog.stores",
    "finance.fx_rates",
    "customer.customers",
    "sales.orders",
    "finance.revenue",
    "finance.customer_lifetime",
    "finance.product_monthly",
)

__all__ = [
    "MESH_ROOT",
    "PUBLISH_AT_ONCE",
    "PUBLISH_ORDER",
    "Change",
    "Check",
    "Column",
    "Contract",
    "ContractDiff",
    "ContractError",
    "DataCheck",
    "Landing",
    "Placement",
    "PublishRefusedError",
    "PublishResult",
    "QualityReport",
    "SourceReport",
    "apply_pii",
    "built_from",
    "check_data",
    "consumer_role",
    "contract_path",
    "cost_tags",
    "default_naming",
    "diff_contracts",
    "disagreements",
    "glue_table_spec",
    "list_contracts",
    "list_entries",
    "load_contract",
    "load_odcs",
    "load_product_contract",
    "odcs_json_schema",
    "parse_contract",
    "parse_odcs",
    "placement",
    "private_location",
    "product_location",
    "publication",
    "publish_product",
    "publish_products",
    "published_contract",
    "quality_line",
    "quarantine_line",
    "quarantine_location",
    "read_entry",
    "read_product",
    "reconcile_sources",
    "report_quality",
    "role_policy",
    "rule_set",
    "schema_errors",
    "spark_schema",
    "state_location",
    "table_names",
    "version_tuple",
]
