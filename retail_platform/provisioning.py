"""Provisioning as code: per deployment, the Snowflake warehouse, database, schemas, roles and
grants, the lake bucket, and the external stage over it that the warehouse load copies from.
Every statement is idempotent (IF NOT EXISTS, GRANT), so re-running changes nothing:
``python -m retail_platform provision --deployment dev``."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SCHEMAS = ("SILVER", "GOLD", "STAGING", "INTERMEDIATE", "MARTS")
# The external stage over the lake bucket, in each deployment's database (a branch's clone of
# prod gets a copy of it): what ``SnowflakeWarehouse.stage`` names.
LAKE_STAGE = "PUBLIC.LAKE"
# The AWS IAM role Snowflake assumes to read the lake bucket (an ARN, not a secret; the trust
# policy on the AWS side names the integration's external id).
LAKE_ROLE_ARN_ENV = "SNOWFLAKE_LAKE_ROLE_ARN"
LAKE_KINDS = frozenset({"integration", "stage"})

BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+")


@dataclass(frozen=True)
class Statement:
    kind: str  # warehouse | database | schema | role | grant | integration | stage
    sql: str


def lake_stage_statements(
    deployment: str, db: str, transformer: str, bucket: str, role_arn: str | None
) -> list[Statement]:
    """A storage integration (the IAM role Snowflake reads the bucket as) and the external stage
    over ``s3://<bucket>/`` that the load copies each day's Parquet from."""
    if not BUCKET.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name")
    if not role_arn or not ROLE_ARN.fullmatch(role_arn):
        raise ValueError(
            f"the lake stage needs the ARN of the IAM role Snowflake assumes to read s3://{bucket}/ "
            f"(set {LAKE_ROLE_ARN_ENV}, e.g. arn:aws:iam::123456789012:role/retail-snowflake-lake); got {role_arn!r}"
        )
    integration = f"RETAIL_{deployment.upper()}_LAKE"
    url = f"s3://{bucket}/"
    return [
        Statement(
            "integration",
            f"create storage integration if not exists {integration} type = external_stage "
            f"storage_provider = 'S3' enabled = true storage_aws_role_arn = '{role_arn}' "
            f"storage_allowed_locations = ('{url}')",
        ),
        Statement(
            "stage",
            f"create stage if not exists {db}.{LAKE_STAGE} url = '{url}' storage_integration = {integration} "
            "file_format = (type = parquet use_logical_type = true)",
        ),
        Statement("grant", f"grant usage on schema {db}.PUBLIC to role {transformer}"),
        Statement("grant", f"grant usage on stage {db}.{LAKE_STAGE} to role {transformer}"),
    ]


def provisioning_plan(
    deployment: str, database: str | None = None, bucket: str | None = None, lake_role_arn: str | None = None
) -> list[Statement]:
    """The statements that make a deployment's Snowflake side exist. Two roles: a transformer
    that loads and builds (owns the data), and a read-only analyst role on the marts. With the
    lake ``bucket``, also the external stage over it (which needs ``lake_role_arn``)."""
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
    if bucket:
        plan += lake_stage_statements(deployment, db, transformer, bucket, lake_role_arn)
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
    from retail_platform.deployments import DeploymentConfigError, resources_for

    if deployment in ("local", "branch"):
        raise ValueError(f"nothing to provision for {deployment!r}: local needs no account, a branch clones prod")
    resources = resources_for(deployment)
    lake, warehouse = resources["lake"], resources["warehouse"]
    # The stage is left out only when the kinds asked for exclude it (``--only database schema``).
    with_stage = kinds is None or bool(kinds & LAKE_KINDS)
    role_arn = env.get(LAKE_ROLE_ARN_ENV, "").strip()
    if with_stage and not role_arn:
        raise DeploymentConfigError(
            f"deployment {deployment!r} cannot provision the lake stage: missing environment variable "
            f"{LAKE_ROLE_ARN_ENV} (the IAM role Snowflake assumes to read s3://{lake.bucket}/)"
        )
    plan = provisioning_plan(
        deployment, warehouse.database, bucket=lake.bucket if with_stage else None, lake_role_arn=role_arn
    )
    created_bucket = ensure_bucket(lake.s3.get_client(), lake.bucket, lake.s3.region_name)
    with warehouse.snowflake.get_connection() as conn:
        executed = apply_plan(conn.cursor(), plan, kinds)
    return {"bucket": lake.bucket, "bucket_created": created_bucket, "statements": len(executed)}
