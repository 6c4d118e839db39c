// Build step: the solution model → the wire schema the kernel validates payloads with (src/kernel/schema.ts).
import type { Interface, MessageLayout, SolutionModel, TypeRef } from '../model/model.ts';
import type { WireClass, WireInterface, WireMessage, WireSchema, WireType } from '../kernel/schema.ts';

/**
 * The wire schema of `model`, with classes in the order of `classNames` (the policy IR's class
 * list, so class indices agree; a name that is no model class, such as `kl.core.Core`, gets no
 * endpoints). Only the interfaces some listed class serves or uses as its security interface are
 * included, each once, in order of first use; likewise the named types they reach, dependencies
 * first (the kernel rejects a ref to a later type, which rules out recursion).
 */
export function buildWireSchema(model: SolutionModel, classNames: readonly string[]): WireSchema {
  const types: { name: string; type: WireType }[] = [];
  const typeIds = new Map<string, number>();
  const visiting = new Set<string>();
  const interfaces: WireInterface[] = [];
  const ifaceIds = new Map<string, number>();

  const typeId = (name: string): number => {
    const known = typeIds.get(name);
    if (known !== undefined) return known;
    const decl = model.types.get(name);
    if (!decl) throw new Error(`internal: unresolved type ${name}`);
    if (visiting.has(name)) throw new Error(`type ${name} contains itself`);
    visiting.add(name);
    const fields = () => decl.kind === 'typedef' ? [] : decl.fields.map((f) => ({ name: f.name, type: wire(f.type) }));
    const type: WireType = decl.kind === 'typedef' ? wire(decl.target)
      : decl.kind === 'struct' ? { k: 'struct', fields: fields() } : { k: 'union', fields: fields() };
    visiting.delete(name);
    typeIds.set(name, types.length);
    types.push({ name, type });
    return types.length - 1;
  };

  const wire = (t: TypeRef): WireType => {
    switch (t.kind) {
      case 'int': return { k: 'int', bytes: t.bytes, signed: t.signed };
      case 'handle': return { k: 'handle' };
      case 'bytes': return { k: 'bytes', max: t.max };
      case 'string': return { k: 'string', max: t.max };
      case 'array': return { k: 'array', of: wire(t.element), n: t.length };
      case 'sequence': return { k: 'sequence', of: wire(t.element), max: t.max };
      case 'ref': return { k: 'ref', id: typeId(t.name) };
    }
  };

  const message = (layout: MessageLayout): WireMessage => ({
    params: layout.params.map((p) => ({ name: p.name, type: wire(p.type) })),
    fixed: layout.size.fixed,
    arenaMax: layout.size.arenaMax,
    handles: layout.size.handles,
  });

  const ifaceId = (name: string): number => {
    const known = ifaceIds.get(name);
    if (known !== undefined) return known;
    const iface: Interface | undefined = model.interfaces.get(name);
    if (!iface) throw new Error(`internal: unresolved interface ${name}`);
    // The kernel finds a method by indexing with its MID.
    const methods = [...iface.methods].sort((a, b) => a.mid - b.mid);
    methods.forEach((m, i) => {
      if (m.mid !== i) throw new Error(`internal: interface ${name} has no method with MID ${i}`);
    });
    const id = interfaces.length;
    ifaceIds.set(name, id);
    interfaces.push({ name, methods: methods.map((m) => ({ name: m.name, request: message(m.request), response: message(m.response), error: message(m.error) })) });
    return id;
  };

  const classes = classNames.map((name): WireClass => {
    const cls = model.classes.get(name);
    if (!cls) return { name, endpoints: [] };
    const endpoints = [...cls.endpoints].sort((a, b) => a.riid - b.riid).map((e, i) => {
      if (e.riid !== i) throw new Error(`internal: class ${name} has no endpoint with RIID ${i}`);
      return { name: e.qualifiedName, riid: e.riid, iface: ifaceId(e.iface) };
    });
    const security = cls.component.security;
    return security === undefined ? { name, endpoints } : { name, endpoints, security: ifaceId(security) };
  });

  return { version: 1, types, interfaces, classes };
}
