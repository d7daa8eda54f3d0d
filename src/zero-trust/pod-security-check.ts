// The Pod Security Standards, checked at synth time on the pod templates the app itself puts in a
// namespace: a pod the namespace's `enforce` level rejects would never start, and the admission
// error only shows up in the cluster, long after the YAML was committed. Internal.
// Source: kubernetes.io/docs/concepts/security/pod-security-standards (the policies as of 1.27+).
import { PodSecurityLevel } from '../common/labels';
import { SysctlKey } from '../node-tuning/sysctl-key';

/** Kubernetes minor version whose safe sysctls every supported cluster accepts (the oldest, 1.27). */
const OLDEST_MINOR = 27;

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const SELINUX_TYPES = new Set(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]);

/**
 * What the Pod Security level `level` rejects in a pod template (`metadata` + `spec`), one
 * sentence per problem; empty when the pod is admitted.
 */
export function podSecurityViolations(level: PodSecurityLevel, template: any): string[] {
  if (level === PodSecurityLevel.PRIVILEGED) return [];
  const spec = template?.spec ?? {};
  const problems = baseline(spec, template?.metadata?.annotations ?? {});
  if (level === PodSecurityLevel.RESTRICTED) problems.push(...restricted(spec));
  return problems;
}

function containersOf(spec: any): any[] {
  return [...spec.initContainers ?? [], ...spec.containers ?? [], ...spec.ephemeralContainers ?? []];
}

function baseline(spec: any, annotations: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[field] === true) problems.push(`${field} must not be true`);
  }
  if (spec.securityContext?.windowsOptions?.hostProcess === true) problems.push('hostProcess must not be true');
  for (const v of spec.volumes ?? []) {
    if (v.hostPath) problems.push(`volume "${v.name}" must not be a hostPath`);
  }
  for (const sysctl of spec.securityContext?.sysctls ?? []) {
    if (!SysctlKey.of(sysctl.name).isSafeOn(OLDEST_MINOR)) {
      problems.push(`sysctl ${sysctl.name} is not in Kubernetes' safe set`);
    }
  }
  problems.push(...seLinuxAndSeccomp('the pod', spec.securityContext));
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      problems.push(`AppArmor annotation ${key} must be runtime/default or localhost/*`);
    }
  }
  for (const c of containersOf(spec)) {
    const ctx = c.securityContext ?? {};
    const who = `container "${c.name}"`;
    if (ctx.privileged === true) problems.push(`${who} must not be privileged`);
    if (ctx.windowsOptions?.hostProcess === true) problems.push(`${who} must not be a hostProcess`);
    for (const cap of ctx.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) problems.push(`${who} must not add capability ${cap}`);
    }
    for (const p of c.ports ?? []) {
      if (p.hostPort) problems.push(`${who} must not use hostPort ${p.hostPort}`);
    }
    if (ctx.procMount !== undefined && ctx.procMount !== 'Default') problems.push(`${who} procMount must be Default`);
    problems.push(...seLinuxAndSeccomp(who, ctx));
  }
  return problems;
}

function seLinuxAndSeccomp(who: string, ctx: any): string[] {
  const problems: string[] = [];
  const se = ctx?.seLinuxOptions;
  if (se?.type !== undefined && !SELINUX_TYPES.has(se.type)) problems.push(`${who} seLinuxOptions.type ${se.type} is not allowed`);
  if (se?.user !== undefined || se?.role !== undefined) problems.push(`${who} must not set seLinuxOptions.user or role`);
  if (ctx?.seccompProfile?.type === 'Unconfined') problems.push(`${who} seccompProfile must not be Unconfined`);
  return problems;
}

function restricted(spec: any): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find(k => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type) && type !== 'hostPath') {
      problems.push(`volume "${v.name}" of type ${type} is not allowed`);
    }
  }
  if (pod.runAsUser === 0) problems.push('the pod must not run as user 0');
  for (const c of containersOf(spec)) {
    const ctx = c.securityContext ?? {};
    const who = `container "${c.name}"`;
    if (ctx.allowPrivilegeEscalation !== false) problems.push(`${who} must set allowPrivilegeEscalation: false`);
    if ((ctx.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${who} must run as non-root (runAsNonRoot: true)`);
    if (ctx.runAsUser === 0) problems.push(`${who} must not run as user 0`);
    const seccomp = ctx.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      problems.push(`${who} must have seccompProfile RuntimeDefault or Localhost (on the container or the pod)`);
    }
    if (!(ctx.capabilities?.drop ?? []).includes('ALL')) problems.push(`${who} must drop ALL capabilities`);
    for (const cap of ctx.capabilities?.add ?? []) {
      if (cap !== 'NET_BIND_SERVICE') problems.push(`${who} may add only NET_BIND_SERVICE, not ${cap}`);
    }
  }
  return problems;
}
