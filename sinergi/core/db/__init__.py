"""Database backends of the embedded deployment."""
