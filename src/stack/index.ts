export * from './parts/stack-part';
export * from './parts/postgres';
export * from './parts/django-app';
export * from './parts/nginx-proxy';
export * from './parts/monitoring';
export * from './django-stack';
export * from './validate';
export * from './parts/exporters';
