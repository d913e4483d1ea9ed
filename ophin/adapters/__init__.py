"""One external tool each, behind a Protocol: object store, yt-dlp, ffmpeg, ASR, LLM."""
