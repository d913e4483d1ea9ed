"""Great Expectations gates between stages; every gate leaves a quality_run row."""
