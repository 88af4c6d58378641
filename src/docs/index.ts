export * from './stack-view';
export * from './render-architecture';
export * from './render-environment';
export * from './render-summary';
export * from './docs-component';
