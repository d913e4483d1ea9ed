"""Getting videos in: fetch policy, yt-dlp fence and source, HTTP, YouTube API, licence (errors.py)."""
