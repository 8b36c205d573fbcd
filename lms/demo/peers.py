"""Demo data: peers."""


def seed(users):
    """Create the demo peers if missing; return True when anything was created."""
    return False
