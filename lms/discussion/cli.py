"""flask --app run commands of the discussion feature."""


def register(app):
    """Add this feature's commands to app.cli."""
