"""The producer roles of goldmine.iam read exactly the inputs the contracts declare."""

from goldmine.iam import CONSUMES
from mesh import list_contracts


def test_producer_reads_equal_the_contracts_input_products():
    declared: dict[str, set[str]] = {}
    for contract in list_contracts():
        for product in contract.input_products():
            declared.setdefault(contract.domain, set()).add(product.split("@")[0])
    assert {d: set(p) for d, p in CONSUMES.items()} == declared
