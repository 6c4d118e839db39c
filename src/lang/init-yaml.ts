// init.yaml parser: the `entities:` list (KasperskyOS Einit description) plus Citadel's extensions
// (`isolation`, `limits`, `resources`, `restart`), every value kept with its source span.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import type { DiagnosticBag } from './diagnostics.ts';
import { span, type SourceFile, type Span } from './source.ts';

export interface Located<T> {
  readonly value: T;
  readonly span: Span;
}

export interface InitConnection {
  readonly target: Located<string>;
  /** Channel name; `{var: X, include: h}` ids take the macro name X, as Einit would after preprocessing. */
  readonly id: Located<string>;
  readonly span: Span;
}

export interface InitEntity {
  readonly name: Located<string>;
  readonly task: Located<string> | undefined;
  readonly path: Located<string> | undefined;
  readonly connections: readonly InitConnection[];
  readonly args: readonly Located<string>[];
  readonly env: readonly { readonly key: Located<string>; readonly value: Located<string> }[];
  readonly isolation: Located<string> | undefined;
  readonly limits: readonly { readonly key: Located<string>; readonly value: Located<number> }[];
  readonly resources: InitResources | undefined;
  readonly restart: Located<{ mode: string; max: number }> | undefined;
  readonly span: Span;
}

export interface InitResources {
  readonly fsRead: readonly Located<string>[];
  readonly fsWrite: readonly Located<string>[];
  readonly net: Located<boolean> | undefined;
  readonly span: Span;
}

export interface InitFile {
  readonly file: SourceFile;
  readonly entities: readonly InitEntity[];
}

const ENTITY_KEYS = ['name', 'task', 'path', 'connections', 'args', 'env', 'isolation', 'limits', 'resources', 'restart', 'dynamic_connection_manager'];
export const LIMIT_KEYS = ['memoryMiB', 'blockMs', 'queueKiB', 'inFlight'];

/** A span of at least one character where the file has one, never past its end. */
function clampedSpan(file: SourceFile, start: number, end: number): Span {
  const s = Math.min(Math.max(0, start), file.text.length);
  return span(file, s, Math.min(file.text.length, Math.max(s + 1, end)));
}

export function parseInitYaml(file: SourceFile, diags: DiagnosticBag): InitFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(file.text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  // Only the first YAML error: later ones are usually cascades of it.
  for (const err of doc.errors.slice(0, 1)) {
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    diags.error(clampedSpan(file, err.pos[0], err.pos[1]), `invalid YAML: ${message}`);
  }
  if (doc.errors.length > 0) return { file, entities: [] };

  const ctx = new Ctx(file, diags);
  const root = doc.contents;
  if (!isMap(root)) {
    diags.error(root ? ctx.at(root) : span(file, 0), 'expected a mapping with an "entities:" list at the top of init.yaml');
    return { file, entities: [] };
  }
  const entitiesNode = root.get('entities', true) as Node | undefined;
  for (const pair of root.items) {
    const key = ctx.keyText(pair);
    if (key !== 'entities') diags.warning(ctx.keySpan(pair), `unknown top-level key "${key}" is ignored (expected "entities")`);
  }
  if (entitiesNode === undefined) {
    diags.error(ctx.at(root), 'missing "entities:" list');
    return { file, entities: [] };
  }
  // `entities:` with nothing after it (all entries come from a template placeholder) is an empty list.
  if (isScalar(entitiesNode) && entitiesNode.value === null) return { file, entities: [] };
  if (!isSeq(entitiesNode)) {
    diags.error(ctx.at(entitiesNode), '"entities" must be a list of process descriptions');
    return { file, entities: [] };
  }
  const entities: InitEntity[] = [];
  for (const item of entitiesNode.items) {
    const entity = ctx.entity(item as Node);
    if (entity) entities.push(entity);
  }
  return { file, entities };
}

class Ctx {
  readonly file: SourceFile;
  readonly diags: DiagnosticBag;
  constructor(file: SourceFile, diags: DiagnosticBag) {
    this.file = file;
    this.diags = diags;
  }

  at(node: Node | null | undefined): Span {
    const r = node?.range;
    return r ? clampedSpan(this.file, r[0], r[1]) : span(this.file, 0);
  }

  keyText(pair: Pair): string {
    return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
  }

  keySpan(pair: Pair): Span {
    return this.at(pair.key as Node);
  }

  scalarString(node: unknown, what: string): Located<string> | undefined {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')) {
      return { value: String(node.value), span: this.at(node) };
    }
    this.diags.error(this.at(node as Node), `${what} must be a string`);
    return undefined;
  }

  entity(node: Node): InitEntity | undefined {
    if (!isMap(node)) {
      this.diags.error(this.at(node), 'each entry of "entities" must be a mapping with at least "name:"');
      return undefined;
    }
    const get = (k: string) => node.get(k, true) as Node | undefined;
    for (const pair of node.items) {
      const key = this.keyText(pair);
      if (!ENTITY_KEYS.includes(key)) this.diags.error(this.keySpan(pair), `unknown key "${key}" in an entity (expected one of: ${ENTITY_KEYS.join(', ')})`);
    }
    const nameNode = get('name');
    if (nameNode === undefined) {
      this.diags.error(this.at(node), 'entity has no "name:" (its process class)');
      return undefined;
    }
    const name = this.scalarString(nameNode, '"name"');
    if (!name) return undefined;
    const opt = (k: string) => { const n = get(k); return n === undefined ? undefined : this.scalarString(n, `"${k}"`); };
    return {
      name,
      task: opt('task'),
      path: opt('path'),
      connections: this.connections(get('connections')),
      args: this.args(get('args')),
      env: this.env(get('env')),
      isolation: opt('isolation'),
      limits: this.limits(get('limits')),
      resources: this.resources(get('resources')),
      restart: this.restart(get('restart')),
      span: this.at(node),
    };
  }

  connections(node: Node | undefined): InitConnection[] {
    if (node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.diags.error(this.at(node), '"connections" must be a list of {target, id} mappings');
      return [];
    }
    const out: InitConnection[] = [];
    for (const item of node.items as Node[]) {
      if (!isMap(item)) {
        this.diags.error(this.at(item), 'a connection must be a mapping with "target:" and "id:"');
        continue;
      }
      const targetNode = item.get('target', true) as Node | undefined;
      const idNode = item.get('id', true) as Node | undefined;
      for (const pair of item.items) {
        const key = this.keyText(pair);
        if (key !== 'target' && key !== 'id') this.diags.error(this.keySpan(pair), `unknown key "${key}" in a connection (expected "target" and "id")`);
      }
      if (!targetNode) { this.diags.error(this.at(item), 'connection has no "target:" (the server task)'); continue; }
      if (!idNode) { this.diags.error(this.at(item), 'connection has no "id:" (the channel name)'); continue; }
      const target = this.scalarString(targetNode, '"target"');
      const id = isMap(idNode) ? this.macroId(idNode) : this.scalarString(idNode, '"id"');
      if (target && id) out.push({ target, id, span: this.at(item) });
    }
    return out;
  }

  macroId(node: YAMLMap): Located<string> | undefined {
    const v = node.get('var', true) as Node | undefined;
    if (!v) {
      this.diags.error(this.at(node), 'a connection id given as a mapping needs "var:" (the macro holding the channel name)');
      return undefined;
    }
    return this.scalarString(v, '"var"');
  }

  args(node: Node | undefined): Located<string>[] {
    if (node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.diags.error(this.at(node), '"args" must be a list of strings');
      return [];
    }
    return (node.items as Node[]).flatMap((n) => this.scalarString(n, 'each of "args"') ?? []);
  }

  env(node: Node | undefined): InitEntity['env'] {
    if (node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) {
      this.diags.error(this.at(node), '"env" must be a mapping of variable names to values');
      return [];
    }
    return node.items.flatMap((pair) => {
      const value = this.scalarString(pair.value, `env "${this.keyText(pair)}"`);
      return value ? [{ key: { value: this.keyText(pair), span: this.keySpan(pair) }, value }] : [];
    });
  }

  limits(node: Node | undefined): InitEntity['limits'] {
    if (node === undefined) return [];
    if (!isMap(node)) {
      this.diags.error(this.at(node), `"limits" must be a mapping (keys: ${LIMIT_KEYS.join(', ')})`);
      return [];
    }
    return node.items.flatMap((pair) => {
      const key = this.keyText(pair);
      if (!LIMIT_KEYS.includes(key)) {
        this.diags.error(this.keySpan(pair), `unknown limit "${key}" (expected one of: ${LIMIT_KEYS.join(', ')})`);
        return [];
      }
      const v = pair.value as Node;
      if (!isScalar(v) || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value <= 0) {
        this.diags.error(this.at(v), `limit "${key}" must be a positive integer`);
        return [];
      }
      return [{ key: { value: key, span: this.keySpan(pair) }, value: { value: v.value, span: this.at(v) } }];
    });
  }

  resources(node: Node | undefined): InitResources | undefined {
    if (node === undefined) return undefined;
    if (!isMap(node)) {
      this.diags.error(this.at(node), '"resources" must be a mapping with "fs" and/or "net"');
      return undefined;
    }
    let fsRead: Located<string>[] = [];
    let fsWrite: Located<string>[] = [];
    let net: Located<boolean> | undefined;
    for (const pair of node.items) {
      const key = this.keyText(pair);
      const v = pair.value as Node;
      if (key === 'net') {
        if (isScalar(v) && typeof v.value === 'boolean') net = { value: v.value, span: this.at(v) };
        else this.diags.error(this.at(v), '"resources.net" must be true or false');
      } else if (key === 'fs') {
        if (!isMap(v)) { this.diags.error(this.at(v), '"resources.fs" must be a mapping with "read" and/or "write" path lists'); continue; }
        for (const p of v.items) {
          const mode = this.keyText(p);
          if (mode !== 'read' && mode !== 'write') { this.diags.error(this.keySpan(p), `unknown key "${mode}" in "resources.fs" (expected "read" or "write")`); continue; }
          const paths = this.args(p.value as Node);
          if (mode === 'read') fsRead = paths; else fsWrite = paths;
        }
      } else {
        this.diags.error(this.keySpan(pair), `unknown resource "${key}" (expected "fs" or "net")`);
      }
    }
    return { fsRead, fsWrite, net, span: this.at(node) };
  }

  restart(node: Node | undefined): InitEntity['restart'] {
    if (node === undefined) return undefined;
    if (isScalar(node) && (node.value === 'never' || node.value === 'on-failure')) {
      return { value: { mode: node.value, max: node.value === 'never' ? 0 : 3 }, span: this.at(node) };
    }
    if (isMap(node)) {
      const mode = node.get('mode');
      const max = node.get('max');
      if ((mode === 'never' || mode === 'on-failure') && (max === undefined || (typeof max === 'number' && Number.isInteger(max) && max >= 0))) {
        return { value: { mode, max: typeof max === 'number' ? max : mode === 'never' ? 0 : 3 }, span: this.at(node) };
      }
    }
    this.diags.error(this.at(node), '"restart" must be "never", "on-failure", or {mode: on-failure, max: <count>}');
    return undefined;
  }
}
