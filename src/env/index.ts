export * from './env-var';
export * from './env-contract';
export * from './secrets';
export * from './render-env-file';
export * from './env-example-file';
export * from './dotenv';
