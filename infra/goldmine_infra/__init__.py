"""The goldmine CDK app: stacks built from the platform's settings, tag policy and IAM intents.

Examples
--------
>>> from goldmine.settings import load_settings
>>> from goldmine_infra import build_app
>>> app = build_app(load_settings(environment="aws"))  # doctest: +SKIP
>>> app.synth()  # doctest: +SKIP
"""

from goldmine_infra._app import STACK_PARTS, build_app, stacks_of
from goldmine_infra._naming import database_keys, prefix_of, stack_name
from goldmine_infra._roles import RoleSpec, policy_name, role_name, wildcard_findings

__all__ = [
    "STACK_PARTS",
    "RoleSpec",
    "build_app",
    "database_keys",
    "policy_name",
    "prefix_of",
    "role_name",
    "stack_name",
    "stacks_of",
    "wildcard_findings",
]
