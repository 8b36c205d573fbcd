"""Blueprint package: studio."""
