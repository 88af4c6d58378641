export * from './django-env';
export * from './tls';
export * from './requirements';
export * from './gunicorn';
export * from './render-settings';
export * from './render-entrypoint';
export * from './requirements-lock';
export * from './database-pool';
