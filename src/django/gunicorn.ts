import { Duration } from '../core';
import { Service } from '../model';

export interface GunicornOptions {
  /** The ASGI application, `module:attribute`. */
  readonly app: string;
  /** The service Gunicorn runs in; it binds the service's port. */
  readonly service: Service;
  /** The longest a request may take: what a stop waits for, and when a silent worker counts as hung. */
  readonly requestTimeout: Duration;
}

/**
 * Gunicorn managing Uvicorn workers. The worker count is not on the command line: Gunicorn reads
 * WEB_CONCURRENCY from the environment.
 */
export function gunicornCommand(options: GunicornOptions): string[] {
  return [
    'gunicorn', options.app,
    '--bind', `0.0.0.0:${options.service.port}`,
    '--worker-class', 'uvicorn_worker.UvicornWorker',
    // On SIGTERM the workers finish the requests in flight, for as long as a request may take.
    '--graceful-timeout', String(options.requestTimeout.toSeconds()),
    // A worker silent for longer than a request may take is hung: Gunicorn restarts it.
    '--timeout', String(options.requestTimeout.toSeconds()),
    '--access-logfile', '-',
    // gunicornc's control socket, where the read-only container can write (by default it goes under $HOME).
    '--control-socket', `${options.service.writablePaths[0] ?? '/tmp'}/gunicorn.ctl`,
  ];
}
