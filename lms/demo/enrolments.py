"""Demo data: enrolments."""


def seed(users):
    """Create the demo enrolments if missing; return True when anything was created."""
    return False
