#!/usr/bin/env bash
# Runs Halyard's whole test suite on a fresh machine: formatting, Rust unit
# and property tests, the Rust SDK end-to-end tests, a short fuzzing run
# (nightly, cargo-fuzz), the Python end-to-end tests (boto3, the AWS CLI and
# Playwright, installed into ./.venv; the console's drive Debian's chromium)
# and the JavaScript ones (AWS SDK v3 and electrodb, installed into
# tests/js/node_modules by npm ci); then the end-to-end suites again over
# the PostgreSQL adapter, on a throw-away PostgreSQL 15 cluster (Debian's
# postgresql, installed when missing); and the failover test on a Patroni
# cluster (Debian's patroni and etcd, installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

# The PostgreSQL server for the storage crate's adapter tests (run by
# cargo test below) and the PostgreSQL end-to-end run.
PG_CLUSTER=$(mktemp -u /tmp/halyard-pg.XXXXXX)
trap 'scripts/postgres-cluster.sh stop "$PG_CLUSTER"' EXIT
HALYARD_TEST_POSTGRES_URL=$(scripts/postgres-cluster.sh start "$PG_CLUSTER")
export HALYARD_TEST_POSTGRES_URL

echo "== cargo fmt --check"
cargo fmt --all -- --check

# cargo test builds the halyard binary too (the SDK tests run it), with the
# same features; a separate cargo build would compile much of it twice.
echo "== cargo test (unit, property, aws-sdk-dynamodb end-to-end)"
cargo test --release --workspace --locked

echo "== fuzz targets, 20 s each (a full campaign: scripts/fuzz.sh 600)"
scripts/fuzz.sh 20

echo "== Python end-to-end tests (boto3, AWS CLI)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
# The console's tests drive Debian's chromium with Playwright (never a
# downloaded browser: no `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y chromium; else sudo apt-get install -y chromium; fi
fi
# The failover test runs once, in its own step below.
HALYARD_BIN="$PWD/target/release/halyard" .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider \
  --ignore=tests/e2e/test_failover.py "$@"

echo "== JavaScript end-to-end tests (AWS SDK for JavaScript v3, electrodb)"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error \
  && HALYARD_BIN="$PWD/../../target/release/halyard" node --test --test-concurrency=1)

# Two workers (pytest-xdist): each test's servers, directories and
# PostgreSQL schemas are its own. 9 min on the 2-core CI box, under load.
echo "== Python end-to-end tests over PostgreSQL storage"
HALYARD_TEST_STORAGE=postgres HALYARD_BIN="$PWD/target/release/halyard" \
  .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider -n 2 --ignore=tests/e2e/test_failover.py "$@"

# One failover (HALYARD_FAILOVER_ROUNDS=N for more); the test starts its
# own Patroni + etcd cluster (scripts/patroni-cluster.sh installs them) and
# fails here, rather than skips, when they cannot be installed. About a minute.
echo "== Failover: kill -9 the PostgreSQL primary under Patroni (docs/failover.md)"
HALYARD_TEST_REQUIRE_PATRONI=1 HALYARD_BIN="$PWD/target/release/halyard" \
  .venv/bin/python -m pytest tests/e2e/test_failover.py -q -p no:cacheprovider

echo "== JavaScript end-to-end tests over PostgreSQL storage"
(cd tests/js && HALYARD_TEST_STORAGE=postgres HALYARD_BIN="$PWD/../../target/release/halyard" \
  node --test --test-concurrency=1)

echo "== Storage-fault campaign, brief (one trial of each fault kind)"
HALYARD_BIN="$PWD/target/release/halyard" .venv/bin/python tests/campaign/storage_faults.py --trials 7 --seed 1
