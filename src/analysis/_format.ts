// Go's fmt verbs as istioctl's templates use them (%s, %q, %v, %d), so a message reads exactly as
// `istioctl analyze` prints it: a list prints as `[a b]`, %q quotes like strconv.Quote. Internal.

/** Formats a Go fmt template with the verbs istioctl's message templates use. */
export function goFormat(template: string, args: readonly unknown[]): string {
  let next = 0;
  return template.replace(/%([sqvd%])/g, (_whole, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[next++];
    return verb === 'q' ? goQuote(String(arg)) : goValue(arg);
  });
}

function goValue(arg: unknown): string {
  if (Array.isArray(arg)) return `[${arg.map(goValue).join(' ')}]`;
  return String(arg);
}

/** strconv.Quote for the strings analysis messages quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
