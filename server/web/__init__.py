"""The web layer: HTML pages and the JSON API. It renders what the run log holds; it runs nothing."""
