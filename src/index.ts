export * from './common/labels';
export * from './common/mesh-service';
export * from './common/warnings';
export * from './zero-trust/zero-trust-mesh';
export * from './zero-trust/workload-identity';
export * from './zero-trust/zero-trust-namespace';
