export * from './prometheus-config';
