export * from './core';
export * from './compose';
export * from './env';
export * from './docker';
export * from './nginx';
export * from './django';
export * from './ci';
export * from './stack';
