// Address blocks as NetworkPolicies take them (ipBlock): parsing, the canonical form newer API
// servers insist on, and "any address but the cluster's own". Internal.
import { isIPv4, isIPv6 } from 'net';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { invalid } from '../common/validation';

const ANY_IPV4 = '0.0.0.0/0';
const ANY_IPV6 = '::/0';

/** Checks an IPv4 or IPv6 CIDR block and returns it. */
export function checkCidr(scope: IConstruct, field: string, value: string): string {
  const [address, bits, extra] = typeof value === 'string' ? value.split('/') : [];
  const max = isIPv4(address ?? '') ? 32 : isIPv6(address ?? '') ? 128 : 0;
  const prefix = /^\d{1,3}$/.test(bits ?? '') ? Number(bits) : -1;
  if (max === 0 || extra !== undefined || prefix < 0 || prefix > max) {
    throw invalid(scope, field, value, 'must be an IPv4 or IPv6 CIDR block (e.g. "10.20.0.0/16" or "fd00::/8")');
  }
  return value;
}

/** An IPv4 or IPv6 CIDR block, parsed. */
export interface Cidr {
  readonly cidr: string;
  readonly family: 4 | 6;
}

/**
 * Checks an address block to put in a NetworkPolicy `ipBlock` (a `cidr`, or an `except` entry of
 * `0.0.0.0/0` or `::/0`) and returns it with its family. Kubernetes wants an `except` entry to be
 * a strict subset of its `cidr`, so a /0 is refused, and newer API servers refuse host bits set
 * beyond the prefix ("must not have bits set beyond the prefix length", Kubernetes'
 * ValidateIPBlock).
 */
export function checkCanonicalCidr(scope: IConstruct, field: string, value: string): Cidr {
  checkCidr(scope, field, value);
  const [address, prefix] = value.split('/');
  if (Number(prefix) === 0 || /1/.test(addressBits(address).slice(Number(prefix)))) {
    throw invalid(scope, field, value,
      'must be an address block with a prefix of at least 1 and no bits set beyond it (e.g. "10.96.0.0/12", not "10.96.0.1/12")');
  }
  return { cidr: value, family: isIPv4(address) ? 4 : 6 };
}

/** The bits of an IPv4 or IPv6 address that `isIPv4` or `isIPv6` accepts, as a string of 0 and 1. */
function addressBits(address: string): string {
  const binary = (n: number, width: number) => n.toString(2).padStart(width, '0');
  if (isIPv4(address)) return address.split('.').map(octet => binary(Number(octet), 8)).join('');
  // an IPv6 address may end with an IPv4 address ("::ffff:10.0.0.1"): its 32 bits are its last two groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  const text = v4 ? `${address.slice(0, -v4[1].length)}0:0` : address;
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) => part ? part.split(':') : [];
  const all = tail === undefined ? groups(head)
    : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  const bits = all.map(group => binary(parseInt(group, 16), 16)).join('');
  return v4 ? bits.slice(0, 96) + addressBits(v4[1]) : bits;
}

/**
 * `0.0.0.0/0` and `::/0`, each without the given blocks of its family: where a NetworkPolicy must
 * name "any address", since it cannot name a host.
 */
export function anyAddressBut(scope: IConstruct, field: string, cidrs: string[] = []): k8s.NetworkPolicyPeer[] {
  const blocks = cidrs.map(c => checkCanonicalCidr(scope, field, c));
  if (new Set(blocks.map(b => b.cidr)).size !== blocks.length) {
    throw invalid(scope, field, cidrs, 'lists a block twice; list each once');
  }
  return ([[ANY_IPV4, 4], [ANY_IPV6, 6]] as const).map(([cidr, family]) => {
    const except = blocks.filter(b => b.family === family).map(b => b.cidr);
    return { ipBlock: { cidr, ...except.length > 0 ? { except } : {} } };
  });
}

/** Whether a block lies in the link-local ranges (169.254.0.0/16, fe80::/10), where no Service lives. */
export function isLinkLocal(cidr: string): boolean {
  const [address, prefix] = cidr.split('/');
  if (isIPv4(address)) return Number(prefix) >= 16 && addressBits(address).startsWith(addressBits('169.254.0.0').slice(0, 16));
  if (isIPv6(address)) return Number(prefix) >= 10 && addressBits(address).startsWith(addressBits('fe80::').slice(0, 10));
  return false;
}
