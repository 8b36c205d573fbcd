"""Named throttles (failed logins, reset requests, enrolment keys, posting) on the `limits` storage
(lms.extensions.Throttles).

The storage is in-process by default and Redis when RATELIMIT_STORAGE_URI says so, so several app
processes share the same counters. A key may have several parts, e.g. an e-mail and a client address.
"""

from flask import current_app
from limits import parse

from lms.extensions import throttles


def _counters():
    return throttles.counters(current_app)


def _limit(config_name):
    return parse(current_app.config[config_name])


def _identifiers(config_name, key):
    # RATELIMIT_KEY_PREFIX separates apps (or test runs) that share one Redis.
    return current_app.config.get("RATELIMIT_KEY_PREFIX", ""), config_name, *(str(part).lower() for part in key)


def is_throttled(config_name, *key):
    """True when the next hit for this key would exceed the configured limit."""
    return not _counters().test(_limit(config_name), *_identifiers(config_name, key))


def record_hit(config_name, *key):
    """Count one event; returns False when it went over the limit."""
    return _counters().hit(_limit(config_name), *_identifiers(config_name, key))


def reset(config_name, *key):
    _counters().clear(_limit(config_name), *_identifiers(config_name, key))


def window_minutes(config_name):
    """How long a full counter may take to empty, in whole minutes (for messages)."""
    return -(-_limit(config_name).get_expiry() // 60)
