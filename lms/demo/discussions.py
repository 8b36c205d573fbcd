"""Demo data: discussions."""


def seed(users):
    """Create the demo discussions if missing; return True when anything was created."""
    return False
