"""Blueprint package: progress."""
