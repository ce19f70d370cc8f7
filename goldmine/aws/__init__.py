"""AWS clients for the platform, one place that knows the endpoints.

Everything that talks to AWS takes an :class:`AwsClients` (or a boto3 client made
by it) as an argument; nothing builds clients from the environment on its own.
"""

from goldmine.aws._clients import BOTO_RETRIES, S3_MAX_ATTEMPTS, AwsClients, configure_wrangler
from goldmine.aws._retry_arrow import retry_arrow_read

__all__ = [
    "BOTO_RETRIES",
    "S3_MAX_ATTEMPTS",
    "AwsClients",
    "configure_wrangler",
    "retry_arrow_read",
]
