"""The one typed settings object of the platform.

Every value comes from here: defaults, then ``GOLDMINE_*`` environment variables
(nested with ``__``, e.g. ``GOLDMINE_BUCKETS__RAW``). Settings are read once, at
start-up, by :func:`load_settings`; no other module reads the environment.
Secrets are never settings: they come from Secrets Manager (:mod:`goldmine.secrets`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["local", "aws"]
ENVIRONMENTS: tuple[str, ...] = ("local", "aws")

#: The domains of the data mesh (DATASET.md section 5); each owns one bucket.
DOMAINS: tuple[str, ...] = ("sales", "customer", "catalog", "finance")


class SettingsError(ValueError):
    """Settings are invalid; the message is one line a user can act on."""


class Buckets(BaseModel):
    """Bucket names per zone, layer and domain.

    Empty names are derived as ``<project>-<environment>-<role>`` by
    :class:`Settings`; in ``aws`` set them explicitly when those are taken.
    """

    landing: str = ""
    raw: str = ""
    curated: str = ""
    analytics: str = ""
    lakehouse: str = ""
    athena_results: str = ""
    artifacts: str = ""
    access_logs: str = ""
    mesh: dict[str, str] = Field(default_factory=dict)

    def all(self) -> dict[str, str]:
        """Return every bucket as ``{role: name}`` (mesh buckets as ``mesh-<domain>``)."""
        named = {k: v for k, v in self.model_dump().items() if k != "mesh"}
        named.update({f"mesh-{d}": b for d, b in self.mesh.items()})
        return named


class Endpoints(BaseModel):
    """Service endpoints. ``None`` means the AWS default for the region.

    In ``local`` the platform fills them from the running local services;
    setting them here points the platform at services you run yourself.
    """

    s3: str | None = None
    aws: str | None = None


class Tags(BaseModel):
    """Default values of the cost tags (the tag policy lives in ``goldmine.tags``)."""

    cost_center: str = "data-platform"
    owner: str = "data-platform-team"


class Observability(BaseModel):
    """Where run metrics and lineage go (docs/adr/0022-run-metrics-and-lineage.md).

    Every run always writes its summary JSON, its CloudWatch metrics and its
    Prometheus textfile and OpenLineage file events under ``data_dir``; a Pushgateway
    and an OpenLineage HTTP endpoint are used only when their URL is set.
    """

    #: CloudWatch namespace of every run metric; empty: the project's name (``goldmine``),
    #: so two projects in one account never mix their metrics.
    metrics_namespace: str = ""
    #: Prometheus Pushgateway (``http://host:9091``); ``None``: textfile only.
    pushgateway_url: str | None = None
    #: OpenLineage HTTP endpoint (e.g. Marquez ``http://host:5000``); ``None``: files only.
    openlineage_url: str | None = None
    #: OpenLineage job namespace; empty: ``<project>-<environment>``.
    openlineage_namespace: str = ""


class Settings(BaseSettings):
    """Platform settings, read once at start-up from ``GOLDMINE_*`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="GOLDMINE_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    project: str = "goldmine"
    environment: Environment = "local"
    region: str = "us-east-1"
    data_dir: Path = Field(default=Path(".goldmine"))
    jar_dir: Path = Field(default=Path(".cache/jars"))
    buckets: Buckets = Field(default_factory=Buckets)
    endpoints: Endpoints = Field(default_factory=Endpoints)
    tags: Tags = Field(default_factory=Tags)
    observability: Observability = Field(default_factory=Observability)
    spark_master: str = "local[*]"
    spark_shuffle_partitions: int = 8
    spark_driver_memory: str = "4g"
    # The local driver JVM (ADR 0029): C2 compiles only very hot code (False: HotSpot's
    # default thresholds), and extra JVM options.
    spark_lean_jit: bool = True
    spark_driver_java_options: str = ""
    # The optional local Trino server (ADR 0017): its JVM heap, and a JDK >= 24 to run it
    # on (None: the newest found under /usr/lib/jvm or /opt).
    trino_heap: str = "2g"
    trino_java_home: Path | None = None
    emr_release_label: str = "emr-7.12.0"
    # DynamoDB tables (ADR 0023); empty names are derived as <project>-<environment>-<role>.
    # delta_log_table: every Delta commit claims its log entry there (multi-writer LogStore).
    # lease_table: the run leases of builds, publishes and ingests (goldmine.lease).
    delta_log_table: str = ""
    lease_table: str = ""
    # Seconds a completed Delta commit's claim is kept before DynamoDB's TTL removes it.
    delta_log_ttl_seconds: int = Field(default=86_400, ge=3_600)
    # A run lease lives this long without renewal; its holder renews it every third of it.
    lease_seconds: float = Field(default=60.0, gt=0)
    # How often a run waiting for a lease looks again (and prints who holds it).
    lease_poll_seconds: float = Field(default=5.0, gt=0)
    # The settle rule (ADR 0026): a batch without a complete manifest is built once no file
    # of it has landed for this many seconds (None: 10 s locally, 300 s in aws).
    settle_seconds: float | None = Field(default=None, ge=0)
    athena_workgroup: str = "goldmine-analysts"
    source_secret_name: str = "goldmine/source-system"
    # Credentials of the embedded local services (not secrets: they guard loopback only).
    local_access_key: str = "goldmine-local"
    local_secret_key: str = "goldmine-local-secret"

    @field_validator("environment", mode="before")
    @classmethod
    def _known_environment(cls, value: object) -> object:
        if isinstance(value, str) and value not in ENVIRONMENTS:
            raise ValueError(
                f"unknown environment {value!r}: expected one of {', '.join(ENVIRONMENTS)}"
            )
        return value

    @model_validator(mode="after")
    def _derive_names(self) -> Settings:
        prefix = f"{self.project}-{self.environment}"
        filled = {
            role: name or f"{prefix}-{role.replace('_', '-')}"
            for role, name in self.buckets.model_dump().items()
            if role != "mesh"
        }
        mesh = {d: self.buckets.mesh.get(d) or f"{prefix}-mesh-{d}" for d in DOMAINS}
        object.__setattr__(self, "buckets", Buckets(**filled, mesh=mesh))
        object.__setattr__(self, "delta_log_table", self.delta_log_table or f"{prefix}-delta-log")
        object.__setattr__(self, "lease_table", self.lease_table or f"{prefix}-leases")
        if not self.observability.metrics_namespace:
            observability = self.observability.model_copy(
                update={"metrics_namespace": self.project}
            )
            object.__setattr__(self, "observability", observability)
        object.__setattr__(self, "data_dir", self.data_dir.expanduser().absolute())
        object.__setattr__(self, "jar_dir", self.jar_dir.expanduser().absolute())
        return self

    @property
    def quiet_seconds(self) -> float:
        """The settle rule's quiet period: ``settle_seconds``, else 10 s locally, 300 s in aws."""
        if self.settle_seconds is not None:
            return self.settle_seconds
        return 10.0 if self.is_local else 300.0

    @property
    def is_local(self) -> bool:
        """Whether the platform runs on the embedded local services."""
        return self.environment == "local"

    def database(self, name: str) -> str:
        """Return the Glue database name for a zone, layer or domain (``lake_raw``, ...)."""
        return f"{self.project}_{self.environment}_{name}".replace("-", "_")


def load_settings(**overrides: object) -> Settings:
    """Read the settings once (environment variables, then ``overrides``).

    Raises
    ------
    SettingsError
        With one line naming the bad setting, e.g. an unknown environment.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting GOLDMINE_{where.upper()}: {message}") from None
