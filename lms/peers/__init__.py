"""Blueprint package: peers."""
