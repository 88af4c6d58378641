export * from './prometheus-config';
export * from './exporters';
