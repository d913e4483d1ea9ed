"""The model path: structured requests to an OpenAI-compatible server, with a cache and provenance."""
