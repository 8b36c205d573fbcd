"""Peer models (assignments, submissions, reviews, connections, course reviews, wishes)."""
