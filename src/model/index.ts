export * from './volume';
export * from './network';
export * from './healthcheck';
export * from './image';
export * from './env-var';
export * from './env-contract';
export * from './service';
export * from './development';
