export * from './python-image';
export * from './render-dockerfile';
export * from './dockerfile-file';
export * from './dockerignore';
