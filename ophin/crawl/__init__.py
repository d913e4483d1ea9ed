"""Web-scale acquisition: sources, a metadata-only discovery pass, a licence-gated, polite download pass."""
