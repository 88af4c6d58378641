export * from './render-ops';
export * from './ops-scripts';
