export * from './postgres';
export * from './validate';
export * from './django-stack';
