import { Service } from '../model';

export interface GunicornOptions {
  /** The ASGI application, `module:attribute`. */
  readonly app: string;
  /** The service Gunicorn runs in; it binds the service's port. */
  readonly service: Service;
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
    '--access-logfile', '-',
  ];
}
