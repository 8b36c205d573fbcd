"""Discussion models (threads, posts, votes, follows, read marks, reports)."""
