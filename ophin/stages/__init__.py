"""Pipeline stages: plain functions over ids, each wrapped in a recorded, idempotent attempt."""
