"""Lineage: any id traced back to its video URL and seconds, forward to what was made from it; its pages."""
