export * from './common/warnings';
export * from './zero-trust/zero-trust-mesh';
