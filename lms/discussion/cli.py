"""flask --app run commands of the discussion feature: send-digests daily|weekly (for cron)."""

import click


def register(app):
    """Add this feature's commands to app.cli."""
    app.cli.add_command(send_digests_command)


@click.command("send-digests")
@click.argument("frequency", type=click.Choice(["daily", "weekly"]))
def send_digests_command(frequency):
    """E-mail each daily/weekly-digest user the notifications not e-mailed yet (each item once)."""
    from lms.discussion.events import send_digests

    sent = send_digests(frequency)
    click.echo(f"Sent {sent} {frequency} digest{'s' if sent != 1 else ''}.")
