"""Domain packs: a specialty's knowledge as validated data (pack.py), a folder each; OPHIN_DOMAIN picks."""
