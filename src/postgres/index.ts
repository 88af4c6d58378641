export * from './render-app-role';
export * from './connection-budget';
