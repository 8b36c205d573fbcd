"""flask --app run commands of the peers feature."""


def register(app):
    """Add this feature's commands to app.cli."""
