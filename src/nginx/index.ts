export * from './served-files';
export * from './nginx-site';
export * from './render-nginx';
export * from './nginx-conf-file';
export * from './render-nginx-main';
