"""Metadata database: lineage models, engine/session, upserts, stage-run bookkeeping."""
