"""What makes the suite fast without changing what any test checks. Imported by conftest.py.

Each test builds its own app (so no state can leak from one test into the next). Three costs of that, paid
hundreds of times per run, are cut here:

- Password hashing. The app hashes with scrypt at werkzeug's production cost (2**15 rounds, ~0.15-0.25 s per
  hash or check on a 2-core machine), and most tests create users and log in. Here `generate_password_hash`
  keeps the scrypt method (the stored hash still starts with "scrypt:") at a trivial cost. Checking reads the
  cost from the stored hash, so logins check cheaply too. Tests that need the real cost (login timing,
  the production setting itself) ask for the `production_password_hashing` fixture.
- Jinja compiling the same templates again for every app: all test apps share one bytecode cache
  (Jinja's own mechanism; an entry is used only while the template source is unchanged).
- Werkzeug generating and compiling Python source for each URL rule's builder (~0.2 s per app): the
  generated function depends only on the rule's text and parsed parts, so it is made once per rule shape.
"""

import sys
from importlib.metadata import version

import werkzeug.security
from jinja2 import BytecodeCache
from werkzeug.routing import rules

# --- Password hashing ---------------------------------------------------------------------------------

TEST_SCRYPT = "scrypt:256:8:1"  # scrypt, as in production, at about 1 ms (werkzeug needs n >= 128 here)
_real_generate_password_hash = werkzeug.security.generate_password_hash
_hashing = {"production": False}


def _generate_password_hash(password, method="scrypt", salt_length=16):
    if method == "scrypt" and not _hashing["production"]:
        method = TEST_SCRYPT
    return _real_generate_password_hash(password, method=method, salt_length=salt_length)


def use_production_password_hashing(monkeypatch):
    """For one test: hash at the production cost, and make the unknown-e-mail login check a dummy hash of
    that cost again (the app computes it once, at import)."""
    import lms.auth.services as accounts

    monkeypatch.setitem(_hashing, "production", True)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", _real_generate_password_hash("not-a-real-password", method="scrypt"))


# Modules that import it later get the test version; any lms module imported already is pointed at it too.
werkzeug.security.generate_password_hash = _generate_password_hash
for _name, _module in list(sys.modules.items()):
    _bound = getattr(_module, "generate_password_hash", None)
    if _name.split(".")[0] == "lms" and _bound is _real_generate_password_hash:
        _module.generate_password_hash = _generate_password_hash


# --- Templates ----------------------------------------------------------------------------------------


class _SharedBytecodeCache(BytecodeCache):
    """In memory, for every app of the test process. Jinja checks each entry's source checksum on load."""

    def __init__(self):
        self._entries = {}

    def load_bytecode(self, bucket):
        data = self._entries.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket):
        self._entries[bucket.key] = bucket.bytecode_to_string()


_templates = _SharedBytecodeCache()


def share_template_cache(app):
    app.jinja_env.bytecode_cache = _templates


# --- URL rules ----------------------------------------------------------------------------------------

_real_compile_builder = rules.Rule._compile_builder
_builders = {}


def _compile_builder(self, append_unknown=True):
    # Everything Rule._compile_builder reads: the rule text (also the function's name), its parsed trace,
    # the names of its defaults and the URL form of defaults that fill a variable part. The function it
    # returns takes the rule as its first argument (converters are looked up on it at call time).
    defaults = self.defaults or {}
    dynamic = {data for is_dynamic, data in self._trace if is_dynamic}
    key = (self.rule, append_unknown, tuple(self._trace), tuple(defaults),
           tuple(self._converters[name].to_url(defaults[name]) for name in defaults if name in dynamic))  # fmt: skip
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _real_compile_builder(self, append_unknown)
    return builder


# Checked against the werkzeug this was written for (requirements.txt); another version builds as usual.
if version("werkzeug").startswith("3.1."):
    rules.Rule._compile_builder = _compile_builder
