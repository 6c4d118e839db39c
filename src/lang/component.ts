// CDL and EDL parser. Both declare a name, an optional security interface, endpoints and nested
// component instances; EDL headers come as `entity X` (KCE ≤1.2) or `task class X` (KCE 1.3+).
import type { ComponentFile, ComponentInstanceDecl, EndpointDecl } from './ast.ts';
import { Cursor, SyntaxAbort } from './cursor.ts';
import type { DiagnosticBag } from './diagnostics.ts';
import { tokenize } from './lexer.ts';
import type { SourceFile } from './source.ts';

const SECTION_WORDS = new Set(['security', 'endpoints', 'interfaces', 'components', 'component', 'entity', 'task']);

export function parseComponentFile(file: SourceFile, kind: 'cdl' | 'edl', diags: DiagnosticBag): ComponentFile {
  const c = new Cursor(file, tokenize(file, diags), diags);
  let form: ComponentFile['form'] = kind === 'cdl' ? 'component' : 'entity';
  let name: ComponentFile['name'];
  let security: ComponentFile['security'];
  const endpoints: EndpointDecl[] = [];
  const components: ComponentInstanceDecl[] = [];

  try {
    if (kind === 'cdl') {
      c.expectWord('component');
    } else if (c.eatWord('task')) {
      c.expectWord('class');
      form = 'task class';
    } else if (!c.eatWord('entity')) {
      c.fail('"entity <name>" or "task class <name>" at the start of an EDL file');
    }
    name = c.qualifiedName(kind === 'cdl' ? 'a component name' : 'a process class name');
  } catch (e) {
    if (!(e instanceof SyntaxAbort)) throw e;
    c.recover((t) => t.kind === 'ident' && SECTION_WORDS.has(t.text) && t.newlineBefore);
  }

  while (!c.atEnd) {
    const start = c.index;
    try {
      const kw = c.peek;
      if (c.eatWord('security')) {
        if (security) diags.error(c.spanOf(kw), 'duplicate "security" declaration');
        security = c.qualifiedName('a security interface name');
      } else if (c.isWord('endpoints') || c.isWord('interfaces')) {
        c.next(); // `interfaces` is the KCE 0.0/1.0 name of the same section
        parseSection(c, kw.text, (n) => endpoints.push({ name: n.name, iface: n.target }));
      } else if (c.eatWord('components')) {
        parseSection(c, 'components', (n) => components.push({ name: n.name, component: n.target }));
      } else if (kind === 'edl' && c.peek.kind === 'ident' && c.peekAt(1).kind === 'punct' && c.peekAt(1).text === ':') {
        // Education-kit EDL: bare `inst : comp` lines after the header.
        const n = namedRef(c);
        components.push({ name: n.name, component: n.target });
      } else {
        c.fail('"endpoints", "components" or "security"');
      }
    } catch (e) {
      if (!(e instanceof SyntaxAbort)) throw e;
      if (c.index === start) c.next();
      c.recover((t) => t.kind === 'ident' && SECTION_WORDS.has(t.text) && t.newlineBefore);
    }
  }
  return { kind, file, form, name, security, endpoints, components };
}

function namedRef(c: Cursor) {
  const t = c.expectIdent('a name');
  c.expectPunct(':', `":" after "${t.text}"`);
  const target = c.qualifiedName('a qualified name');
  c.eatPunct(';') || c.eatPunct(',');
  return { name: { text: t.text, span: c.spanOf(t) }, target };
}

function parseSection(c: Cursor, section: string, add: (n: ReturnType<typeof namedRef>) => void): void {
  c.expectPunct('{', `"{" after "${section}"`);
  while (!c.isPunct('}')) {
    if (c.atEnd) c.fail(`"}" to close "${section}"`);
    const start = c.index;
    try {
      add(namedRef(c));
    } catch (e) {
      if (!(e instanceof SyntaxAbort)) throw e;
      // Always make progress, then skip to the next line's entry or the closing brace.
      if (c.index === start) c.next();
      c.recover((t) => (t.kind === 'punct' && t.text === '}') || t.newlineBefore);
    }
  }
  c.next();
}
