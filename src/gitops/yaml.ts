// The YAML of a manifest, as cdk8s writes it, printed directly. cdk8s prints every document with
// the `yaml` package (cdk8s-core src/yaml.ts `Yaml.stringify`: YAML 1.1 schema, no line folding),
// which first builds a node tree of the whole document: the largest cost of a large synth. A
// manifest is JSON data whose strings are nearly all one line, so such a document is printed here
// with the rules of yaml's own printer (yaml/dist/stringify: stringifyString `plainString` and
// `quotedString`, stringifyPair, stringifyCollection, stringifyNumber). Any document with something
// else (a string of several lines, which yaml prints as a block; an object that appears twice,
// which yaml prints as an alias; control characters; a value that is not JSON data) is printed by
// cdk8s's Yaml.stringify, whole.
// test/gitops/yaml.test.ts compares the bytes. Internal.
import * as fs from 'fs';
import { createRequire } from 'module';
import { Yaml } from 'cdk8s';

/**
 * The tags of the YAML 1.1 schema that a plain string could be read back as (bool, int, float,
 * null, timestamp...), from the copy of `yaml` cdk8s itself prints with.
 */
const TYPED_SCALARS: RegExp[] = (() => {
  const yaml = createRequire(require.resolve('cdk8s'))('yaml');
  const schema = new yaml.Document(null, { version: '1.1' }).schema;
  return [...schema.tags, ...schema.compat ?? []]
    .filter((t: any) => t.default === true && t.tag !== 'tag:yaml.org,2002:str' && t.test instanceof RegExp)
    .map((t: any) => t.test);
})();

/** What yaml's plainString quotes or prints as a block, whatever the context (one line, no indicator). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Characters yaml always double-quotes (stringifyString). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** yaml writes a longer key as an explicit key (`? key`). */
const MAX_KEY = 1024;

/** Writes `docs` to `file` as cdk8s's `Yaml.save` does. */
export function saveYaml(file: string, docs: any[]): void {
  fs.writeFileSync(file, stringifyYaml(docs), { encoding: 'utf8' });
}

/** The text of `docs` as cdk8s's `Yaml.stringify(...docs)` gives it. */
export function stringifyYaml(docs: any[]): string {
  const printer = new Printer();
  return docs.map(doc => doc === undefined ? '\n' : printer.document(doc) ?? Yaml.stringify(doc)).join('---\n');
}

/** Prints JSON data; undefined when yaml would print some part of it otherwise than plainly. */
export class Printer {
  /** Strings already printed, by text (undefined: yaml prints it): labels repeat across documents. */
  private readonly strings = new Map<string, string | undefined>();
  private seen = new Set<object>();

  /** One document's text, with its final newline. */
  public document(doc: unknown): string | undefined {
    this.seen = new Set();
    const text = this.value(doc, '');
    return text === undefined ? undefined : `${text}\n`;
  }

  /** A value in a block context: a collection's first line carries no indent (the caller's does). */
  private value(value: unknown, indent: string): string | undefined {
    if (value !== null && typeof value === 'object') {
      if (this.seen.has(value)) return undefined;
      this.seen.add(value);
      if (Array.isArray(value)) return value.length === 0 ? '[]' : this.sequence(value, indent);
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const keys = Object.keys(value);
      return keys.length === 0 ? '{}' : this.map(value as Record<string, unknown>, keys, indent);
    }
    return this.scalar(value);
  }

  private map(map: Record<string, unknown>, keys: string[], indent: string): string | undefined {
    const inner = `${indent}  `;
    let text = '';
    for (const key of keys) {
      const printedKey = this.string(key);
      if (printedKey === undefined || printedKey.length > MAX_KEY) return undefined;
      const v = map[key];
      const printed = this.value(v, inner);
      if (printed === undefined) return undefined;
      const nested = v !== null && typeof v === 'object' && printed !== '[]' && printed !== '{}';
      text += `${text === '' ? '' : `\n${indent}`}${printedKey}:${nested ? `\n${inner}` : ' '}${printed}`;
    }
    return text;
  }

  private sequence(items: unknown[], indent: string): string | undefined {
    const inner = `${indent}  `;
    let text = '';
    for (let i = 0; i < items.length; i++) {
      const printed = this.value(items[i], inner);
      if (printed === undefined) return undefined;
      text += `${i === 0 ? '' : `\n${indent}`}- ${printed}`;
    }
    return text;
  }

  private scalar(value: unknown): string | undefined {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        // yaml prints integers with toString(10), other numbers with JSON.stringify (stringifyNumber)
        if (!Number.isFinite(value) || Object.is(value, -0)) return undefined;
        return Number.isInteger(value) ? value.toString(10) : JSON.stringify(value);
      case 'boolean':
        return value ? 'true' : 'false';
      default:
        return value === null ? 'null' : undefined;
    }
  }

  /** A one-line string: plain, or quoted when plain would not read back as the same string. */
  private string(text: string): string | undefined {
    if (this.strings.has(text)) return this.strings.get(text);
    let printed: string | undefined;
    if (!text.includes('\n') && !CONTROL.test(text)) {
      if (NOT_PLAIN.test(text) || TYPED_SCALARS.some(test => test.test(text))) {
        // quotedString: single quotes for a string with double quotes only, else JSON's double quotes
        printed = text.includes('"') && !text.includes('\'') ? `'${text}'` : JSON.stringify(text);
      } else if (!DOCUMENT_MARKER.test(text)) {
        // a plain document marker depends on the indent: yaml prints it
        printed = text;
      }
    }
    this.strings.set(text, printed);
    return printed;
  }
}
