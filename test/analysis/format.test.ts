// istioctl's templates are Go fmt templates; messages must print as Go prints them.
import { goFormat, goQuote } from '../../src/analysis/_format';

test('lists print as [a b], %q quotes as strconv.Quote, %d and %s as values', () => {
  expect(goFormat('The Sidecars %v in namespace %q select %d pods: %s', [['a', 'b'], 'shop', 2, 'x'])).toBe('The Sidecars [a b] in namespace "shop" select 2 pods: x');
  expect(goFormat('ports %v, 100%%', [[80, 443]])).toBe('ports [80 443], 100%');
  expect(goQuote('a "b"\n\\c\u0001')).toBe('"a \\"b\\"\\n\\\\c\\x01"');
  expect(goFormat('%s and %s', ['one'])).toBe('one and %!s(MISSING)');
});
