// API.md is generated from the doc comments: every public type, prop and method is documented, and
// every optional prop says its default with `@default` (a value, or "- behaviour").
/* eslint-disable no-bitwise */ // TypeScript's symbol and modifier flags are bit sets
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');

function documented(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0;
}

function hasDefault(symbol: ts.Symbol): boolean {
  return symbol.getJsDocTags().some(t => t.name === 'default');
}

test('every public type, prop and method is documented; every optional prop has @default', () => {
  const program = ts.createProgram([path.join(ROOT, 'src', 'index.ts')], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, strict: true, skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(path.join(ROOT, 'src', 'index.ts'))!)!;
  const problems: string[] = [];
  const exports = checker.getExportsOfModule(index);
  expect(exports.length).toBeGreaterThan(30);

  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const name = symbol.getName();
    if (!documented(symbol, checker)) problems.push(`${name}: no doc comment`);
    if (!(symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.Enum))) continue;

    const instance = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol));
    const members = symbol.flags & ts.SymbolFlags.Class
      ? [...instance, ...checker.getPropertiesOfType(checker.getTypeOfSymbol(symbol))] // and statics
      : symbol.flags & ts.SymbolFlags.Enum ? checker.getExportsOfModule(symbol) : instance;
    for (const member of members) {
      const decl = member.valueDeclaration ?? member.declarations?.[0];
      if (!decl || decl.getSourceFile().fileName.includes('node_modules') || member.getName() === 'prototype') continue;
      const modifiers = ts.getCombinedModifierFlags(decl as ts.Declaration);
      if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || member.getName().startsWith('_')) continue;
      if (!documented(member, checker)) problems.push(`${name}.${member.getName()}: no doc comment`);
      if (symbol.flags & ts.SymbolFlags.Interface && member.flags & ts.SymbolFlags.Optional && !hasDefault(member)) {
        problems.push(`${name}.${member.getName()}: optional without @default`);
      }
    }
  }
  expect(problems).toEqual([]);
}, 120_000);
