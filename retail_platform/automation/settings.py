"""What the sensors need to know about their deployment, as a resource (set in ``deployments.py``):
sensors never read the environment themselves."""

import dagster as dg

from retail_platform.automation.alerts import DEFAULT_WEBSERVER
from retail_platform.automation.landing import DEFAULT_SCAN_DAYS


class AutomationSettings(dg.ConfigurableResource):
    landing_scan_days: int = DEFAULT_SCAN_DAYS  # how many past days the landing sensor rescans
    # May embed a token: set from an environment variable (dg.EnvVar), so the UI never shows it.
    alert_webhook_url: str | None = None
    webserver_url: str = DEFAULT_WEBSERVER  # where the alert's run link points
