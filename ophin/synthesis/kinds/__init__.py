"""The three instruction kinds the offline generator writes, one module each."""
