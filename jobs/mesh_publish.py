"""Spark job entry point: publish data products (``spark-submit jobs/mesh_publish.py ...``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Publish the products named in ``argv`` (all, in build order, when empty).

    Example: python -m jobs.mesh_publish sales.orders finance.revenue
    """
    import mesh
    from goldmine.cli import main as cli_main

    products = list(argv if argv is not None else sys.argv[1:]) or list(mesh.PUBLISH_ORDER)
    return cli_main(["mesh", "publish", *products])


if __name__ == "__main__":
    sys.exit(main())
