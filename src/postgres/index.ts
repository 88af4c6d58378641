export * from './render-app-role';
