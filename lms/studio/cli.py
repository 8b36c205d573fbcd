"""flask --app run commands of the studio feature: export-course and import-course."""

import click
from sqlalchemy import func, select

from lms.extensions import db


@click.command("export-course")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def export_course_command(slug, file):
    """Write the course SLUG (settings, modules, lessons, questions, files) to the .zip FILE."""
    from lms.models import Course
    from lms.studio.archive import ArchiveError, export_course

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course has the URL name {slug!r}.")
    try:
        data = export_course(course)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None
    with open(file, "wb") as handle:
        handle.write(data)
    click.echo(f"Exported “{course.title}” to {file} ({len(data)} bytes).")


@click.command("import-course")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--owner", "owner_email", help="E-mail of the account that will own the new draft course.")
def import_course_command(file, owner_email):
    """Create a new draft course from the .zip FILE; a taken slug gets a -2, -3 ... suffix."""
    from lms.models import User
    from lms.studio import uploads
    from lms.studio.archive import ArchiveError, import_course

    owner = None
    if owner_email:
        owner = db.session.scalar(select(User).where(func.lower(User.email) == owner_email.strip().lower()))
        if owner is None:
            raise click.ClickException(f"No account uses the e-mail {owner_email!r}.")
    with open(file, "rb") as handle:
        try:
            course, written = import_course(handle, owner=owner)
        except ArchiveError as error:
            db.session.rollback()
            raise click.ClickException(f"Import refused, nothing was changed: {error}") from None
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.remove_files(written)
        raise
    click.echo(f"Imported “{course.title}” as draft course {course.slug!r}.")
    if owner is None:
        click.echo("It has no owner yet: only admins can edit it until one is added (use --owner next time).")


def register(app):
    """Add this feature's commands to app.cli."""
    app.cli.add_command(export_course_command)
    app.cli.add_command(import_course_command)
