"""The quality report: a self-contained HTML page of the funnel, scored decisions and yield, from SQL."""
