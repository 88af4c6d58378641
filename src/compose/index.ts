export * from './compose-schema';
export * from './render-compose';
export * from './compose-file';
export * from './render-dev-compose';
