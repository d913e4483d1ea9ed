"""Releases: the accepted, gated instructions in every trainer's format, with a card, splits and a manifest.

A release folder (and its copy under ``<store>/<settings.release.prefix>/<release_id>/``)::

    README.md                            dataset card (Hugging Face metadata + attribution of every video)
    manifest.json                        every file's sha256 and size; config, counts, left-out counts
    index.jsonl                          a line per record: ids, split, content hashes (`release diff`)
    images/<split>/<frame_id>.jpg        each image once, in the one split its group was assigned to
    images/<split>/metadata.parquet      ``imagefolder`` rows (format "hf")
    llava/<split>.json                   LLaVA (format "llava"; ``--image_folder <release>/images``)
    sharegpt/<split>.json                ShareGPT for LLaMA-Factory (format "sharegpt")
    dataset_info.json                    LLaMA-Factory's entries ``ophin_<split>`` (format "sharegpt")
    data/<split>-NNNNN-of-NNNNN.parquet  Parquet shards with the images embedded (format "hf")

record.py is the one record every writer reads; splits.py assigns leak-free splits; formats/ holds one
streaming writer per format; card.py writes the card; build.py runs it all; diff.py compares two releases.
"""
