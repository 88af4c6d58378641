export * from './problem';
export * from './checks';
export * from './managed-file';
