"""The `ophin` command: one module per command group (app.py: the root, the pipeline and lineage commands)."""
