// Host names as istioctl's analyzers compare them (pkg/config/host/name.go Matches), and the index
// that finds overlapping names without comparing every pair.
import { HostIndex, hostNamespace, hostsMatch, scopedFqdn, serviceNameOf, toFqdn } from '../../src/analysis/_hosts';

test.each([
  ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local', true],
  ['reviews.default.svc.cluster.local', 'ratings.default.svc.cluster.local', false],
  ['*.example.com', 'www.example.com', true],
  ['www.example.com', '*.example.com', true],
  ['*.example.com', 'example.com', false],
  ['*.example.com', '*.shop.example.com', true],
  ['*', 'anything.at.all', true],
])('hostsMatch(%s, %s) is %s', (a, b, expected) => {
  expect(hostsMatch(a, b)).toBe(expected);
});

test('short names are completed in the namespace that names them; FQDNs and external names are not', () => {
  expect(toFqdn('shop', 'reviews')).toBe('reviews.shop.svc.cluster.local');
  expect(toFqdn('shop', 'reviews.other')).toBe('reviews.other');
  expect(toFqdn('shop', '*.example.com')).toBe('*.example.com');
  expect(scopedFqdn('*', 'shop', 'reviews')).toBe('*/reviews.shop.svc.cluster.local');
  expect(serviceNameOf('shop', 'reviews.other.svc.cluster.local')).toEqual({ namespace: 'other', name: 'reviews' });
  expect(serviceNameOf('shop', 'reviews')).toEqual({ namespace: 'shop', name: 'reviews' });
  expect(hostNamespace('shop', 'reviews')).toBe('shop');
  expect(hostNamespace('shop', 'reviews.other.svc.cluster.local')).toBe('other');
  expect(hostNamespace('shop', 'api.example.com')).toBeUndefined();
});

test('HostIndex finds every name that overlaps, exact and wildcard, each once', () => {
  // GIVEN
  const index = new HostIndex<string>();
  for (const name of ['www.example.com', '*.example.com', '*.com', 'shop.example.org', '*']) index.add(name, name);

  // THEN
  expect(index.overlapping('www.example.com')).toEqual(['www.example.com', '*.example.com', '*.com', '*']);
  expect(index.overlapping('*.example.com')).toEqual(['www.example.com', '*.example.com', '*.com', '*']);
  expect(index.overlapping('api.example.org')).toEqual(['*']);
  expect(index.overlapping('*').sort()).toEqual(['*', '*.com', '*.example.com', 'shop.example.org', 'www.example.com']);
});
