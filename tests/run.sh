#!/usr/bin/env bash
# Install everything the tests need and run the whole suite (SQLite and PostgreSQL).
#   - Debian packages from tests/apt-packages.txt (as root, or through sudo when available)
#   - a virtual env in .venv with requirements-dev.txt
#   - the OpenID provider used by the SSO tests (tests/oidc) and axe-core (tests/axe), npm ci, when present
# Extra arguments go to pytest, e.g. `bash tests/run.sh -k accounts --db=sqlite`; TEST_WORKERS sets how many
# processes run the tests (2 by default, 1 for none).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^\s*#' tests/apt-packages.txt | tr '\n' ' ')
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="skip"; fi
  fi
  if [ "$SUDO" != "skip" ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
  else
    echo "note: not root and no sudo; assuming these packages are installed: $packages" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

# Node packages the tests use, each pinned by its package-lock.json: the OpenID provider (tests/oidc) and
# axe-core, the accessibility rules the browser tests inject (tests/axe).
for dir in tests/oidc tests/axe; do
  if [ -f "$dir/package.json" ] && command -v npm >/dev/null 2>&1; then
    npm ci --prefix "$dir" --no-audit --no-fund --silent
  fi
done

# Two workers (pytest-xdist; TEST_WORKERS=1 runs in this process), each taking whole files so that module
# fixtures (servers, the binary build) stay one per file. Tests use port 0, temp dirs and their own services,
# so they run side by side as several developers' runs do on one machine.
workers=${TEST_WORKERS:-2}
parallel=()
if [ "$workers" != "1" ]; then parallel=(-n "$workers" --dist loadfile); fi
exec .venv/bin/python -m pytest --db=both "${parallel[@]}" "$@"
