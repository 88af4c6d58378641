"""Migrations as the deploy runs them (docker-entrypoint.sh's release step) give up on a lock they cannot get.

An ALTER TABLE waits for every query that reads the table, and every query that comes after it waits behind
it: a migration stuck on a lock stalls the site. The release step's lock_timeout makes the migration fail
instead, rolled back, to be retried by the deploy. On a real PostgreSQL, in a database of its own.
"""
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from django.db import connection
from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]


def release_migrate_line():
    """The entrypoint's migrate command, exactly as the release step runs it."""
    lines = [line.strip() for line in (ROOT / "docker-entrypoint.sh").read_text().splitlines()
             if "manage.py migrate" in line and not line.lstrip().startswith("#")]
    assert len(lines) == 1, lines
    return lines[0]


class MigrationLockTimeoutTests(SimpleTestCase):
    databases = {"default"}

    def setUp(self):
        s = connection.settings_dict
        self.server = {"host": s["HOST"], "port": s["PORT"], "user": s["USER"], "password": s["PASSWORD"]}
        self.name = f"tau_lock_{secrets.token_hex(4)}"
        admin = psycopg.connect(dbname="postgres", autocommit=True, **self.server)
        admin.cursor().execute(f'CREATE DATABASE "{self.name}"')
        admin.close()
        self.env = {**os.environ, "POSTGRES_DB": self.name}
        self.holder = None

    def tearDown(self):
        if self.holder is not None:
            self.holder.close()
        admin = psycopg.connect(dbname="postgres", autocommit=True, **self.server)
        # FORCE: a migrate that was killed while it waited may still have its session.
        admin.cursor().execute(f'DROP DATABASE "{self.name}" WITH (FORCE)')
        admin.close()

    def manage(self, *args, timeout=120):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def release_migrate(self, timeout=120):
        return subprocess.run(["sh", "-c", release_migrate_line()], cwd=ROOT, env={**self.env, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
                              capture_output=True, text=True, timeout=timeout)

    def test_a_migration_facing_a_held_lock_fails_after_lock_timeout_instead_of_waiting(self):
        line = release_migrate_line()
        match = re.search(r"lock_timeout=(\d+)", line)
        self.assertIsNotNone(match, f"the release step's migrate sets no lock_timeout: {line}")
        lock_timeout = int(match.group(1)) / 1000
        print(f"\n  release step: {line} (lock_timeout {lock_timeout:g}s)", file=sys.stderr)

        # GIVEN a database one migration behind (library 0003 adds a constraint: ALTER TABLE library_document)
        for args in (["migrate", "--noinput"], ["migrate", "library", "0002", "--noinput"]):
            r = self.manage(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
        # AND a long transaction that has read the table (a report, a slow query): it holds ACCESS SHARE
        self.holder = psycopg.connect(dbname=self.name, **self.server)
        self.holder.cursor().execute("SELECT count(*) FROM library_document")

        # WHEN the release step migrates THEN it fails after lock_timeout, the migration rolled back
        started = time.monotonic()
        r = self.release_migrate()
        elapsed = time.monotonic() - started
        print(f"  release migrate with the lock held: exit {r.returncode} after {elapsed:.1f}s: "
              f"{(r.stderr.strip().splitlines() or [''])[-1]}", file=sys.stderr)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("lock timeout", r.stderr)
        self.assertGreaterEqual(elapsed, lock_timeout)
        self.assertLess(elapsed, lock_timeout + 25)
        self.assertIn("[ ] 0003_document_body_max_length", self.manage("showmigrations", "library").stdout)

        # AND without the lock_timeout, the same migration is still waiting well after it
        try:
            r = self.manage("migrate", "--noinput", timeout=lock_timeout + 10)
            self.fail(f"a plain migrate finished while the lock was held: exit {r.returncode} {r.stderr}")
        except subprocess.TimeoutExpired:
            print(f"  plain migrate with the lock held: still waiting after {lock_timeout + 10:g}s (killed)", file=sys.stderr)

        # The killed migrate's session still waits in the lock's queue (the server has not noticed its client
        # is gone): end it before the reader lets go, or it would take the lock and add the constraint itself.
        admin = psycopg.connect(dbname=self.name, autocommit=True, **self.server)
        admin.cursor().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid NOT IN (pg_backend_pid(), %s)",
                               [self.name, self.holder.info.backend_pid])
        admin.close()

        # WHEN the reader is done THEN the retry applies it
        self.holder.rollback()
        self.holder.close()
        self.holder = None
        r = self.release_migrate()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[X] 0003_document_body_max_length", self.manage("showmigrations", "library").stdout)
