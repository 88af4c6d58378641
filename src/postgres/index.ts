export * from './render-app-role';
export * from './connection-budget';
export * from './wal-archive';
export * from './render-monitor-role';
export * from './data-directory';
