"""Helpers the tests share: a static file server on 127.0.0.1, media makers, ground-truth readers."""
