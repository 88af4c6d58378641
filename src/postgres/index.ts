export * from './render-app-role';
export * from './wal-archive';
