"""The dbt project as Dagster sees it.

The manifest is prepared at build/deploy time (``make prepare`` = ``dagster-dbt project
prepare-and-package --file retail_platform/warehouse/project.py``) and only parsed on the fly
under ``dagster dev`` / ``dg dev``: loading the definitions never runs ``dbt parse`` elsewhere.
"""

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

retail_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="local")
retail_dbt_project.prepare_if_dev()
