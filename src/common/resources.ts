// cdk8s-plus resources (Cpu, Size) to Kubernetes quantities, checked on the way (limits not below requests).
// Used where a construct writes resources itself: IstioOperator and Helm values are free-form to the API
// server, so a bad quantity would only fail at install; the tuning DaemonSet is an L1 object.
import { Size, SizeRoundingBehavior } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { invalid } from './validation';

/** `requests` and `limits` of a Kubernetes ResourceRequirements. */
export interface ResourceQuantities {
  readonly requests?: Record<string, string>;
  readonly limits?: Record<string, string>;
}

/** Decimal CPU amounts as cdk8s-plus renders them: `Cpu.millis(500)` is "500m", `Cpu.units(2)` is "2". */
const CPU_AMOUNT = /^(\d+)(?:\.(\d+))?(m?)$/;

interface Quantity {
  /** As written in the manifest. */
  readonly text: string;
  /** In the smallest unit, to compare a limit with its request. */
  readonly value: number;
}

/**
 * Renders cdk8s-plus container resources as `{ requests, limits }`, or throws naming the field
 * (`field.cpu.limit`) when a quantity is malformed or a limit is lower than its request.
 */
export function renderResources(scope: IConstruct, field: string, resources: ContainerResources): ResourceQuantities {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  const pairs: Array<[string, string, { request?: Quantity; limit?: Quantity }]> = [
    ['cpu', 'cpu', {
      request: cpuQuantity(scope, `${field}.cpu.request`, resources.cpu?.request),
      limit: cpuQuantity(scope, `${field}.cpu.limit`, resources.cpu?.limit),
    }],
    ['memory', 'memory', {
      request: sizeQuantity(scope, `${field}.memory.request`, resources.memory?.request),
      limit: sizeQuantity(scope, `${field}.memory.limit`, resources.memory?.limit),
    }],
    ['ephemeralStorage', 'ephemeral-storage', {
      request: sizeQuantity(scope, `${field}.ephemeralStorage.request`, resources.ephemeralStorage?.request),
      limit: sizeQuantity(scope, `${field}.ephemeralStorage.limit`, resources.ephemeralStorage?.limit),
    }],
  ];
  for (const [prop, key, { request, limit }] of pairs) {
    if (request && limit && limit.value < request.value) {
      // the API server rejects such a pod, long after istioctl said the install went fine
      throw invalid(scope, `${field}.${prop}.limit`, limit.text,
        `must not be lower than the request (${request.text}); raise the limit or lower the request`);
    }
    if (request) requests[key] = request.text;
    if (limit) limits[key] = limit.text;
  }
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

/** `renderResources` for a Kubernetes L1 container (`k8s.ResourceRequirements`). */
export function renderKubeResources(scope: IConstruct, field: string, resources: ContainerResources): k8s.ResourceRequirements {
  const { requests, limits } = renderResources(scope, field, resources);
  const quantities = (q?: Record<string, string>) =>
    q && Object.fromEntries(Object.entries(q).map(([k, v]) => [k, k8s.Quantity.fromString(v)]));
  return { requests: quantities(requests), limits: quantities(limits) };
}

/** Millicores of a Kubernetes CPU amount ("500m", "2", "0.5"), undefined when it is not one. */
function parseMillicores(amount: string): number | undefined {
  const match = CPU_AMOUNT.exec(amount);
  if (!match) return undefined;
  const [, whole, fraction = '', milli] = match;
  if (milli) {
    // "1.5m" would be finer than a millicore
    return /^0*$/.test(fraction) ? Number(whole) : NaN;
  }
  if (!/^\d{0,3}$/.test(fraction.replace(/0+$/, ''))) return NaN;
  return Number(whole) * 1000 + Number(fraction.replace(/0+$/, '').padEnd(3, '0'));
}

function cpuQuantity(scope: IConstruct, field: string, cpu: Cpu | undefined): Quantity | undefined {
  if (cpu === undefined) return undefined;
  const amount = (cpu as any)?.amount;
  const millis = typeof amount === 'string' ? parseMillicores(amount) : undefined;
  if (millis === undefined) {
    throw invalid(scope, field, amount ?? cpu, 'must be a CPU amount such as Cpu.millis(500) or Cpu.units(2)');
  }
  if (Number.isNaN(millis)) {
    // https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#meaning-of-cpu
    throw invalid(scope, field, amount, 'Kubernetes allows no CPU precision finer than 1m; round it to whole millicores');
  }
  if (millis === 0) {
    throw invalid(scope, field, amount, 'must be greater than zero; leave it unset instead');
  }
  return { text: amount, value: millis };
}

function sizeQuantity(scope: IConstruct, field: string, size: Size | undefined): Quantity | undefined {
  if (size === undefined) return undefined;
  if (typeof (size as any)?.toKibibytes !== 'function') {
    throw invalid(scope, field, size, 'must be a cdk8s Size such as Size.mebibytes(128)');
  }
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isFinite(kib) || kib <= 0) {
    throw invalid(scope, field, size.asString(), 'must be a finite size greater than zero, such as Size.mebibytes(128)');
  }
  if (!Number.isInteger(kib)) {
    throw invalid(scope, field, size.asString(), 'must be a whole number of kibibytes');
  }
  // Mebibytes when whole, like cdk8s-plus containers render memory ("2048Mi")
  return { text: kib % 1024 === 0 ? `${kib / 1024}Mi` : `${kib}Ki`, value: kib };
}
