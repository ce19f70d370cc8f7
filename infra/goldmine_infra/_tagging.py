"""Cost tags from the shared tag policy (``goldmine.tags``), applied with ``Tags.of``."""

from __future__ import annotations

from aws_cdk import Tags
from constructs import IConstruct

from goldmine.settings import Settings
from goldmine.tags import tags_for

#: The ``domain`` tag value of resources shared by every domain.
PLATFORM_DOMAIN = "platform"


def tag(
    scope: IConstruct,
    settings: Settings,
    *,
    domain: str = PLATFORM_DOMAIN,
    data_product: str | None = None,
) -> None:
    """Tag ``scope`` and every taggable construct under it with the policy's tags."""
    for key, value in tags_for(settings, domain=domain, data_product=data_product).items():
        Tags.of(scope).add(key, value)
