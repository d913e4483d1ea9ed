"""OphIn Engine: curate ophthalmology image+instruction datasets from open lecture video."""

__version__ = "0.1.0"
