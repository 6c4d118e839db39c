// Client side of an interface: per-method error classes and the typed proxy class.
import type { Interface } from '../model/model.ts';
import { Code, lit } from './emit.ts';
import type { InterfaceNames, MethodNames } from './names.ts';

function methodNames(iface: InterfaceNames, method: string): MethodNames {
  const m = iface.methods.get(method);
  if (!m) throw new Error(`internal: no names for method ${method}`);
  return m;
}

/** One `IdlErrorReply` subclass per method, carrying its typed error params. */
export function emitErrorClasses(code: Code, iface: Interface, names: InterfaceNames): void {
  for (const m of iface.methods) {
    const n = methodNames(names, m.name);
    code.line(`/** Error reply of ${iface.name}.${m.name}: a proxy throws it on an error response; a handler throws it to send one. */`);
    code.open(`export class ${n.errorClass} extends $w.IdlErrorReply<${n.errorParams}> {`);
    code.open(`constructor(params: ${n.errorParams}) {`);
    code.line(`super(${lit(`${iface.name}.${m.name}`)}, params);`);
    code.line(`this.name = ${lit(n.errorClass)};`);
    code.close();
    code.close();
    code.line();
  }
}

/** `new XProxy(transport, riid)`: one async method per IDL method, resolving to the out params. */
export function emitProxy(code: Code, iface: Interface, names: InterfaceNames): void {
  code.line(`/** Client proxy for ${iface.name}: each method sends a request through the transport to endpoint \`riid\`. */`);
  code.open(`export class ${names.proxy} {`);
  code.line(`static readonly interfaceName = ${lit(iface.name)};`);
  if (iface.methods.length === 0) {
    // Nothing to call: keep the constructor signature, store nothing.
    code.line();
    code.line('constructor(_transport: $w.ClientTransport, _riid: number) {}');
  } else {
    // Private fields: they cannot collide with method names taken from the IDL.
    code.line('readonly #transport: $w.ClientTransport;');
    code.line('readonly #riid: number;');
    code.line();
    code.open('constructor(transport: $w.ClientTransport, riid: number) {');
    code.line('this.#transport = transport;');
    code.line('this.#riid = riid;');
    code.close();
  }
  for (const m of iface.methods) {
    const n = methodNames(names, m.name);
    // A method without in params can be called without arguments.
    const arg = m.request.params.length === 0 ? `request: ${n.request} = {}` : `request: ${n.request}`;
    code.line();
    code.line(`/** ${iface.name}.${m.name}; rejects with ${n.errorClass} on an error reply, CodecError on a malformed one. */`);
    code.open(`async ${n.member}(${arg}, options?: $w.CallOptions): Promise<${n.response}> {`);
    code.line(`const result = await this.#transport.call(this.#riid, ${n.mid}, ${n.encodeRequest}(request), options);`);
    code.line(`if (result.kind === "reply") return ${n.decodeResponse}(result.payload);`);
    code.line(`throw new ${n.errorClass}(${n.decodeError}(result.payload));`);
    code.close();
  }
  code.close();
}
