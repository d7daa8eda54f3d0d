import { createHash } from 'crypto';

/** Hex SHA-256 of a text, cut to `length` characters when given: for stable names and checksums. */
export function sha256(text: string, length?: number): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return length === undefined ? hex : hex.slice(0, length);
}

/**
 * The pod template annotation that changes with a workload's configuration: pods read a ConfigMap
 * once, at start, so a changed configuration must change the template to roll them.
 */
export function configChecksum(config: string): Record<string, string> {
  return { 'cdk8s-mesh/config-sha256': sha256(config) };
}
