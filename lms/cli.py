"""`flask --app run ...` commands: create-admin, seed-demo (feature modules add their own)."""

import sys

import click
from flask import current_app

from lms.extensions import db


def init_app(app):
    from lms.discussion import cli as discussion_cli
    from lms.peers import cli as peers_cli
    from lms.studio import cli as studio_cli

    app.cli.add_command(create_admin_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    for feature in (studio_cli, discussion_cli, peers_cli):
        feature.register(app)


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Admin", help="Display name for a new account.")
def create_admin_command(email, name):
    """Create an admin account, or make an existing account admin. Password from a prompt or stdin."""
    from lms.auth import services
    from lms.auth.forms import MIN_PASSWORD

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"The password must have at least {MIN_PASSWORD} characters.")
    user = services.find_user_by_email(email)
    if user is None:
        user = services.create_user(email, name, password, role="admin")
        click.echo(f"Created admin {user.email}.")
    else:
        user.role = "admin"
        services.change_password(user, password)
        click.echo(f"{user.email} is now an admin with the new password.")
    db.session.commit()


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (used by the set-up script).")
def seed_demo_command(if_empty):
    """Load the demo accounts and content (safe to run again: nothing is duplicated)."""
    from sqlalchemy import func, select

    from lms.demo import seed_demo
    from lms.models import User

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has accounts; demo data not loaded.")
        return
    created = seed_demo()
    db.session.commit()
    password = current_app.config["DEMO_PASSWORD"]
    click.echo("Demo data is ready." if created else "Demo data was already there; nothing changed.")
    click.echo(f"Demo logins (password: {password}): learner@example.com, instructor@example.com, admin@example.com")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(file):
    """Write a consistent backup of the database to FILE (safe while the app is running)."""
    from lms.backup import BackupError, backup_database

    try:
        path = backup_database(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {path}.")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file, yes):
    """Replace the database's contents with the backup in FILE. Stop the app servers first."""
    from lms.backup import BackupError, restore_database

    if not yes:
        click.confirm("This replaces everything in the database with the backup. Continue?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        restore_database(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Database restored from {file}.")
