"""Demo data: progress."""


def seed(users):
    """Create the demo progress if missing; return True when anything was created."""
    return False
