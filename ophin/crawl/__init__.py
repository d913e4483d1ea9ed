"""The crawl: sources, a metadata-only discovery pass and the licence verdict, yielding candidates."""
