"""The shipped Dagster instance configs, as Dagster loads them.

``local.yaml`` and ``prod.yaml`` validate against Dagster's instance schema (the loader Dagster
itself uses); Dagster checks only the shape of a configurable class's section there, so each class
``prod.yaml`` names is also checked against its own schema; and the prod instance is built: runs
launched by dagster-aws's ``EcsRunLauncher`` into their own ECS tasks, queued under the run and
pool limits, watched by run monitoring, their logs in S3. Secrets appear only as references.
"""

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import PoolGranularity, dagster_instance_config
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._serdes import class_from_code_pointer
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from retail_platform.deployments import REQUIRED

INSTANCE_DIR = Path(__file__).resolve().parents[1] / "retail_platform" / "instance"
CONFIGURABLE_CLASSES = ("run_launcher", "run_coordinator", "compute_logs")
# Values a secret may hold: they reach a run only as an ECS secret, never as a plain variable.
SECRET_VALUES = {"DAGSTER_PG_PASSWORD", "SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY"}


def load(name: str) -> dict:
    return yaml.safe_load((INSTANCE_DIR / f"{name}.yaml").read_text())


def env_references(node) -> set[str]:
    """Every variable a config reads through ``{env: NAME}``."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return {name for value in node.values() for name in env_references(value)}
    if isinstance(node, list):
        return {name for value in node for name in env_references(value)}
    return set()


def stand_in(name: str) -> str:
    """A recognisable value of the right kind for a variable the config reads."""
    if name.endswith("_PORT"):
        return "5432"
    if name.endswith("_SECRET_ARN"):
        return f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:retail/{name.lower()}"
    if name.endswith("_ROLE_ARN"):
        return f"arn:aws:iam::123456789012:role/{name.lower()}"
    return f"test-{name.lower().replace('_', '-')}"


@pytest.fixture
def prod_env(monkeypatch) -> dict[str, str]:
    """The environment of a prod instance's daemon: every variable prod.yaml reads, and a region."""
    env = {name: stand_in(name) for name in env_references(load("prod"))}
    env["AWS_DEFAULT_REGION"] = "eu-west-1"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def dagster_home(tmp_path: Path, config: dict) -> str:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return str(home)


@pytest.mark.parametrize("name", ["local", "prod"])
def test_the_instance_config_validates_against_dagster_instance_schema(name, tmp_path, monkeypatch):
    for variable in env_references(load(name)):
        monkeypatch.setenv(variable, stand_in(variable))
    home = tmp_path / name
    home.mkdir()
    shutil.copy(INSTANCE_DIR / f"{name}.yaml", home / "dagster.yaml")

    config, _ = dagster_instance_config(str(home))

    # Both run the `warehouse` pool (warehouse load, dbt) one step at a time.
    assert config["concurrency"]["pools"]["default_limit"] == 1
    # The validation is real: the same loader rejects a misspelt setting.
    (home / "dagster.yaml").write_text(
        yaml.safe_dump({**load(name), "run_monitoring": {"start_timeout": 300}}, sort_keys=False)
    )
    with pytest.raises(DagsterInvalidConfigError, match="start_timeout"):
        dagster_instance_config(str(home))


@pytest.mark.parametrize("section", CONFIGURABLE_CLASSES)
def test_each_class_prod_names_accepts_its_config(section, prod_env):
    entry = load("prod")[section]
    cls = class_from_code_pointer(entry["module"], entry["class"])

    result = process_config(cls.config_type(), entry["config"])
    assert result.success, [error.message for error in result.errors or []]

    # Dagster's instance schema passes a misspelt field in a class's section; the class's own does not.
    first, *_ = entry["config"]
    misspelt = {f"{key}s" if key == first else key: value for key, value in entry["config"].items()}
    assert not process_config(cls.config_type(), misspelt).success


def test_the_prod_instance_launches_each_run_in_its_own_ecs_task(tmp_path, prod_env):
    config = load("prod")
    # Postgres is a server this test does not start (its section is validated above); everything
    # else is built from prod.yaml as the webserver and the daemon build it.
    config["storage"] = {"sqlite": {"base_dir": str(tmp_path / "storage")}}

    with dg.DagsterInstance.from_config(dagster_home(tmp_path, config)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        # The run task definition is registered from the code location's image, with these roles
        # and this size, in the daemon's own cluster and network.
        assert launcher.task_definition is None
        assert launcher.execution_role_arn == prod_env["DAGSTER_ECS_EXECUTION_ROLE_ARN"]
        assert launcher.task_role_arn == prod_env["DAGSTER_ECS_RUN_ROLE_ARN"]
        assert launcher.task_definition_dict["log_group"] == prod_env["DAGSTER_ECS_LOG_GROUP"]
        assert launcher.use_current_ecs_task_config
        assert launcher.run_resources == {"cpu": "2048", "memory": "8192"}
        # Secrets by reference: ECS reads them into the task; no tag pulls in any other.
        assert launcher.secrets == [
            {"name": "DAGSTER_PG_PASSWORD", "valueFrom": prod_env["DAGSTER_PG_PASSWORD_SECRET_ARN"]},
            {"name": "SNOWFLAKE_PRIVATE_KEY", "valueFrom": prod_env["SNOWFLAKE_PRIVATE_KEY_SECRET_ARN"]},
        ]
        assert launcher.secrets_tags == []
        assert launcher.run_ecs_tags == [{"key": "retail/deployment", "value": prod_env["RETAIL_DEPLOYMENT"]}]

        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()
        assert concurrency.run_queue_config.max_concurrent_runs == 8
        assert concurrency.run_queue_config.tag_concurrency_limits == [{"key": "dagster/backfill", "limit": 4}]
        assert concurrency.run_queue_config.max_user_code_failure_retries == 3
        assert concurrency.pool_config.default_pool_limit == 1
        assert concurrency.pool_config.pool_granularity == PoolGranularity.OP

        # A run whose task died is failed by run monitoring and retried from the failure.
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2

        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)


def test_the_pool_the_prod_limits_comment_on_is_the_one_the_definitions_use():
    from retail_platform.definitions import defs

    repository = defs.get_repository_def()
    pools = {node.pool for job in repository.get_all_jobs() for node in job.graph.node_defs if node.pool}
    # prod.yaml's `default_limit: 1` is what limits them: no pool has a limit of its own there.
    assert pools == {"warehouse"}


def test_runs_get_every_variable_they_read_and_secrets_only_by_reference():
    config = load("prod")
    launcher = config["run_launcher"]["config"]
    forwarded = set(launcher["env_vars"])
    secret_names = {secret["name"] for secret in launcher["secrets"]}

    # A run worker loads this same instance config, then the definitions of a cloud deployment.
    assert env_references(config) - forwarded - secret_names == set()
    assert {"RETAIL_DEPLOYMENT", *REQUIRED} <= forwarded
    assert secret_names & {"SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY"}
    # Secrets travel as ARNs read from the environment: no value in the file, none as a plain variable.
    assert all(set(secret["valueFrom"]) == {"env"} for secret in launcher["secrets"])
    assert not any("=" in name for name in forwarded)
    assert not forwarded & SECRET_VALUES
    assert config["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
