export * from './volume';
export * from './healthcheck';
export * from './image';
export * from './service';
export * from './compose-schema';
export * from './render-compose';
export * from './compose-file';
