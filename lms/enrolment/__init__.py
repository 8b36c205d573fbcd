"""Blueprint package: enrolment (catalog, course pages, enrolment rules, roster)."""

# Registers the full-text index DDL on db.metadata before anyone calls create_all().
from lms import search  # noqa: F401
