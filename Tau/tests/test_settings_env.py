"""The generated settings module, imported in a fresh interpreter with a given environment."""
import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]
BASE = {"DJANGO_SECRET_KEY": "k" * 60, "POSTGRES_APP_PASSWORD": "pw"}
PROBE = """
import json
import Tau.settings_env as s
print(json.dumps({"DEBUG": s.DEBUG, "ALLOWED_HOSTS": s.ALLOWED_HOSTS, "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
                  "DB": {k: s.DATABASES["default"][k] for k in ("NAME", "USER", "HOST", "PORT")},
                  "STATIC_ROOT": s.STATIC_ROOT, "MEDIA_ROOT": s.MEDIA_ROOT}))
"""


def load(env):
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ.get("PATH", "/usr/bin"), **env})
    return result.returncode, (json.loads(result.stdout) if result.returncode == 0 else result.stderr)


class SettingsEnvTests(SimpleTestCase):
    def test_debug_is_parsed_strictly(self):
        for raw, expected in [("0", False), ("false", False), ("False", False), ("no", False), ("off", False),
                              ("", False), ("1", True), ("true", True), ("YES", True), ("on", True)]:
            with self.subTest(raw=raw):
                code, out = load({**BASE, "DJANGO_DEBUG": raw})
                self.assertEqual(code, 0, out)
                self.assertIs(out["DEBUG"], expected)

    def test_debug_defaults_to_off(self):
        self.assertIs(load(BASE)[1]["DEBUG"], False)

    def test_a_debug_value_that_is_not_a_boolean_stops_start_up(self):
        code, err = load({**BASE, "DJANGO_DEBUG": "maybe"})
        self.assertNotEqual(code, 0)
        self.assertIn("DJANGO_DEBUG='maybe' is not a boolean", err)

    def test_hosts_are_comma_separated(self):
        _, out = load({**BASE, "DJANGO_ALLOWED_HOSTS": " tau.example, www.tau.example ,,"})
        self.assertEqual(out["ALLOWED_HOSTS"], ["tau.example", "www.tau.example"])

    def test_trusted_origins_keep_their_scheme(self):
        # Django 4.0 and later match the Origin header against the whole origin, scheme included.
        _, out = load({**BASE, "DJANGO_CSRF_TRUSTED_ORIGINS": "https://tau.example"})
        self.assertEqual(out["CSRF_TRUSTED_ORIGINS"], ["https://tau.example"])

    def test_database_defaults_name_the_db_service(self):
        _, out = load(BASE)
        self.assertEqual(out["DB"], {"NAME": "tau", "USER": "tau", "HOST": "db", "PORT": 5432})

    def test_a_port_that_is_not_a_number_stops_start_up(self):
        code, err = load({**BASE, "POSTGRES_PORT": "five"})
        self.assertNotEqual(code, 0)
        self.assertIn("POSTGRES_PORT='five' is not a whole number", err)

    def test_missing_secrets_stop_start_up_with_their_names(self):
        for missing in ("DJANGO_SECRET_KEY", "POSTGRES_APP_PASSWORD"):
            with self.subTest(missing=missing):
                env = {k: v for k, v in BASE.items() if k != missing}
                code, err = load(env)
                self.assertNotEqual(code, 0)
                self.assertIn("ImproperlyConfigured", err)
                self.assertIn(f"{missing} is required and not set", err)

    def test_an_empty_secret_counts_as_missing(self):
        code, err = load({**BASE, "DJANGO_SECRET_KEY": "  "})
        self.assertNotEqual(code, 0)
        self.assertIn("DJANGO_SECRET_KEY is required", err)
