"""Redaction recall of burned-in camera labels: labelled frames (frames.py) and the report (report.py)."""
