"""flask --app run commands of the peers feature."""

import click

from lms.extensions import db


@click.command("assign-overdue-reviews")
def assign_overdue_reviews_command():
    """Send practice responses still short of peer reviews after PEER_REVIEW_DEADLINE_HOURS to course staff."""
    from lms.peers.services import assign_overdue_reviews

    moved = assign_overdue_reviews()
    db.session.commit()
    click.echo(f"{moved} overdue submission(s) sent to the staff review queue.")


def register(app):
    """Add this feature's commands to app.cli."""
    app.cli.add_command(assign_overdue_reviews_command)
