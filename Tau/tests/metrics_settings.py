"""The settings of the multi-worker metrics test: Tau's, with the metrics port the test chose (a free one)."""
import os

from Tau.settings import *  # noqa: F401,F403

METRICS_PORT = int(os.environ["TEST_METRICS_PORT"])
