import { Duration } from '../core';
import { Service } from '../model';

export interface GunicornOptions {
  /** The ASGI application, `module:attribute`. */
  readonly app: string;
  /** The service Gunicorn runs in; it binds the service's port. */
  readonly service: Service;
  /** The longest a request may take: what a stop waits for, and when a silent worker counts as hung. */
  readonly requestTimeout: Duration;
  /** The second address Gunicorn binds: the app answers /metrics there only, and nginx never proxies to it. */
  readonly metricsPort: number;
  /** Gunicorn's configuration file (its hooks), relative to the working directory. */
  readonly configFile: string;
}

/** The configuration file Gunicorn reads its hooks from, relative to the image's working directory. */
export const GUNICORN_CONFIG_FILE = 'gunicorn.conf.py';

/** Where the workers write their metrics' samples: on the service's first tmpfs, so nothing outlives the container. */
export function metricsDirectory(service: Service): string {
  return `${service.writablePaths[0] ?? '/tmp'}/prometheus`;
}

/**
 * Gunicorn managing Uvicorn workers. The worker count is not on the command line: Gunicorn reads
 * WEB_CONCURRENCY from the environment.
 */
export function gunicornCommand(options: GunicornOptions): string[] {
  return [
    'gunicorn', options.app,
    '--config', options.configFile,
    '--bind', `0.0.0.0:${options.service.port}`,
    // The metrics address: published by nothing, scraped from inside the stack.
    '--bind', `0.0.0.0:${options.metricsPort}`,
    '--worker-class', 'uvicorn_worker.UvicornWorker',
    // On SIGTERM the workers finish the requests in flight, for as long as a request may take.
    '--graceful-timeout', String(options.requestTimeout.toSeconds()),
    // A worker silent for longer than a request may take is hung: Gunicorn restarts it.
    '--timeout', String(options.requestTimeout.toSeconds()),
    // No --access-logfile: the app writes one JSON line per request with nginx's request id; Uvicorn's access
    // lines would repeat each request in another format, with its query string (which may carry a token).
    // gunicornc's control socket, where the read-only container can write (by default it goes under $HOME).
    '--control-socket', `${options.service.writablePaths[0] ?? '/tmp'}/gunicorn.ctl`,
  ];
}

/**
 * gunicorn.conf.py: the hooks that keep the metrics of all workers adding up. Each worker writes its samples
 * to files of its own in one directory (prometheus_client's multiprocess mode) and /metrics sums them.
 */
export function renderGunicornConfig(metricsDir: string, marker: string): string {
  return `# ${marker}
"""Gunicorn's hooks: the workers' metrics add up (prometheus_client's multiprocess mode).

Each worker writes its counters and histograms to files of its own in PROMETHEUS_MULTIPROC_DIR, and
/metrics on the metrics address sums the files of all workers, those that exited included (a restarted
worker does not take its requests with it). The directory is on a tmpfs: it goes with the container.
"""
import glob
import os

# Set here, in the master, before any worker is forked and imports prometheus_client: each worker inherits it.
METRICS_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", ${JSON.stringify(metricsDir)})


def on_starting(server):
    # A master started again in the same container must not count the previous one's requests twice.
    os.makedirs(METRICS_DIR, exist_ok=True)
    for path in glob.glob(os.path.join(METRICS_DIR, "*.db")):
        os.remove(path)


def child_exit(server, worker):
    # The worker's gauges of live processes stop counting; its counters and histograms stay in the sum.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, METRICS_DIR)
`;
}
