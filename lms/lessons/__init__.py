"""Blueprint package: lessons."""
