export * from './ci-workflow';
