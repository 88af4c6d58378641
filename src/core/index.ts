export * from './problem';
export * from './checks';
export * from './managed-file';
export * from './duration';
export * from './options';
export * from './overrides';
export * from './validation';
