#!/usr/bin/env bash
# Run the whole test suite: unit, integration and real-browser tests.
# Installs what the tests need first: the dev packages in .venv and Debian's Chromium for Playwright.
# Extra arguments go to pytest. TEST_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL.
# The tests run in parallel (pytest-xdist), one worker more than there are cores: much of a test's time is
# spent waiting for Chromium, PostgreSQL or a gunicorn process. PYTEST_WORKERS=0 runs them one by one.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --dev
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Debian's Chromium: run 'sudo apt-get install -y chromium' once." >&2
    exit 1
  fi
fi
workers=${PYTEST_WORKERS:-$(( $(nproc) + 1 ))}
exec .venv/bin/python -m pytest -n "$workers" "$@"
