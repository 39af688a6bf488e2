"""Django's SQLite backend with a fair, prompt hand-over of the write lock between processes (see base.py)."""
