"""Blueprint package: discussion."""
