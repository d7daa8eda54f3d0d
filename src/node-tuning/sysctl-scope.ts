/** Where a kernel parameter lives, so who can set it and who sees it. */
export enum SysctlScope {
  /**
   * One value for the whole node. Only a privileged pod on the host can set it, and every pod sees
   * the node's value (`fs.file-max`, `vm.*`, `net.netfilter.*`).
   */
  NODE = 'node',
  /**
   * One value per network namespace. A pod has its own copy, which starts at the kernel default,
   * not at the node's value: set it in the pod's `securityContext.sysctls`
   * (`net.core.somaxconn`, `net.ipv4.*`, `net.ipv6.*`).
   */
  NETWORK_NAMESPACE = 'network-namespace',
  /**
   * One value per IPC namespace (`kernel.shm*`, `kernel.msg*`, `kernel.sem`, `fs.mqueue.*`). A pod
   * has its own, which starts at the kernel default, not at the node's value: set it in the pod's
   * `securityContext.sysctls`.
   */
  IPC_NAMESPACE = 'ipc-namespace',
}
