export * as k8s from './k8s-types';
export * from './kubernetes-options';
export * from './kubernetes-plan';
export * from './render-workloads';
export * from './render-k8s';
export * from './render-secret-script';
export * from './validate-kubernetes';
export * from './kubernetes-target';
