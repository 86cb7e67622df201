"""Provisioning as code: per deployment, the Snowflake warehouse, database, schemas, roles and
grants, and the lake bucket. Every statement is idempotent (IF NOT EXISTS, GRANT), so re-running
changes nothing: ``python -m retail_platform provision --deployment dev``."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SCHEMAS = ("SILVER", "GOLD", "STAGING", "INTERMEDIATE", "MARTS")


@dataclass(frozen=True)
class Statement:
    kind: str  # warehouse | database | schema | role | grant
    sql: str


def provisioning_plan(deployment: str, database: str | None = None) -> list[Statement]:
    """The statements that make a deployment's Snowflake side exist. Two roles: a transformer
    that loads and builds (owns the data), and a read-only analyst role on the marts."""
    env = deployment.upper()
    db = database or f"RETAIL_{env}"
    wh, transformer, analyst = f"RETAIL_{env}_WH", f"RETAIL_{env}_TRANSFORMER", f"RETAIL_{env}_ANALYST"
    plan = [
        Statement(
            "warehouse",
            f"create warehouse if not exists {wh} with warehouse_size = 'XSMALL' "
            "auto_suspend = 60 auto_resume = true initially_suspended = true",
        ),
        Statement("database", f"create database if not exists {db}"),
        *(Statement("schema", f"create schema if not exists {db}.{schema}") for schema in SCHEMAS),
        Statement("role", f"create role if not exists {transformer}"),
        Statement("role", f"create role if not exists {analyst}"),
        Statement("grant", f"grant role {transformer} to role SYSADMIN"),
        Statement("grant", f"grant role {analyst} to role SYSADMIN"),
        Statement("grant", f"grant usage on warehouse {wh} to role {transformer}"),
        Statement("grant", f"grant usage on warehouse {wh} to role {analyst}"),
        Statement("grant", f"grant all privileges on database {db} to role {transformer}"),
        *(
            Statement("grant", f"grant all privileges on schema {db}.{schema} to role {transformer}")
            for schema in SCHEMAS
        ),
        *(
            Statement("grant", f"grant all privileges on future tables in schema {db}.{schema} to role {transformer}")
            for schema in SCHEMAS
        ),
        Statement("grant", f"grant usage on database {db} to role {analyst}"),
        Statement("grant", f"grant usage on schema {db}.MARTS to role {analyst}"),
        Statement("grant", f"grant select on all tables in schema {db}.MARTS to role {analyst}"),
        Statement("grant", f"grant select on future tables in schema {db}.MARTS to role {analyst}"),
        Statement("grant", f"grant select on future views in schema {db}.MARTS to role {analyst}"),
    ]
    return plan


def apply_plan(cursor, plan: Iterable[Statement], kinds: set[str] | None = None) -> list[str]:
    """Execute the plan (or only the statements of ``kinds``); returns what was executed."""
    done = []
    for statement in plan:
        if kinds is None or statement.kind in kinds:
            cursor.execute(statement.sql)
            done.append(statement.sql)
    return done


def ensure_bucket(s3_client, bucket: str, region: str | None = None) -> bool:
    """Create the lake bucket if it does not exist. True if it was created."""
    from botocore.exceptions import ClientError

    from retail_platform.lake.s3 import is_not_found

    try:
        s3_client.head_bucket(Bucket=bucket)
        return False
    except ClientError as exc:
        if not is_not_found(exc):
            raise
    if region and region != "us-east-1":
        s3_client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    else:
        s3_client.create_bucket(Bucket=bucket)
    return True


def provision(deployment: str, env: Mapping[str, str], kinds: set[str] | None = None) -> dict[str, object]:
    """Provision one cloud deployment from its environment variables."""
    from retail_platform.deployments import resources_for

    if deployment in ("local", "branch"):
        raise ValueError(f"nothing to provision for {deployment!r}: local needs no account, a branch clones prod")
    resources = resources_for(deployment)
    lake, warehouse = resources["lake"], resources["warehouse"]
    created_bucket = ensure_bucket(lake.s3.get_client(), lake.bucket, lake.s3.region_name)
    with warehouse.snowflake.get_connection() as conn:
        executed = apply_plan(conn.cursor(), provisioning_plan(deployment, warehouse.database), kinds)
    return {"bucket": lake.bucket, "bucket_created": created_bucket, "statements": len(executed)}
