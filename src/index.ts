export * from './common/labels';
export * from './common/mesh-service';
export * from './common/warnings';
export * from './zero-trust/zero-trust-mesh';
export * from './node-tuning/sysctl-scope';
export * from './node-tuning/sysctl-key';
export * from './node-tuning/pod-sysctls';
export * from './node-tuning/tuned-node-pool';
