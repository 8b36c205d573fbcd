"""flask --app run commands of the studio feature."""


def register(app):
    """Add this feature's commands to app.cli."""
