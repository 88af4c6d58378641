export * from './secrets';
export * from './render-env-file';
export * from './env-example-file';
export * from './dotenv';
