"""One builder per exported table: typed columns -> registry text columns -> injected defects."""
