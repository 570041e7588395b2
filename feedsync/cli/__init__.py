"""The typer CLI: thin commands over the library; presentation lives in present.py."""
