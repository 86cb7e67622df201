"""Automation: declarative conditions, schedules and sensors (landing, run failure), the alert payload."""
