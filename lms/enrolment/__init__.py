"""Blueprint package: enrolment."""
