"""One module per resource; assembled in app.py."""
