export * from './render-acme';
