"""Concurrency Lab: the engine (``server.lab``), renderers, the web app and the CLI."""
