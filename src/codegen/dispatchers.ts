// Server side: per-interface handler types and dispatchers, and per-process-class RIID routing.
import type { Interface, ProcessClass } from '../model/model.ts';
import { Code, lit, type ModuleContext } from './emit.ts';
import { lastSegment, type InterfaceNames } from './names.ts';

/** The handler object type a server implements: one method per IDL method, returning the out params. */
export function emitHandler(code: Code, iface: Interface, names: InterfaceNames): void {
  code.line(`/** Server implementation of ${iface.name}. A method returns the out params, or throws the method's *_Error class to send an error reply. */`);
  code.open(`export interface ${names.handler} {`);
  for (const m of iface.methods) {
    const n = names.methods.get(m.name)!;
    code.line(`${n.member}(request: ${n.request}): ${n.response} | Promise<${n.response}>;`);
  }
  code.close();
}

/**
 * `createXDispatcher(handler)` → `(mid, payload) => Promise<CallResult>`: decodes the request,
 * calls the handler, encodes its result or its typed error. A malformed request or unknown MID
 * rejects with CodecError; any other exception from the handler propagates unchanged.
 */
export function emitInterfaceDispatcher(code: Code, iface: Interface, names: InterfaceNames): void {
  const empty = iface.methods.length === 0;
  code.line(`/** Dispatcher for one ${iface.name} endpoint: routes by MID to \`handler\`. */`);
  code.open(`export function ${names.dispatcher}(${empty ? '_handler' : 'handler'}: ${names.handler}): $w.InterfaceDispatch {`);
  code.open(`return async (mid, ${empty ? '_payload' : 'payload'}) => {`);
  code.open('switch (mid) {');
  for (const m of iface.methods) {
    const n = names.methods.get(m.name)!;
    code.open(`case ${n.mid}: {`);
    code.line(`const request = ${n.decodeRequest}(payload);`);
    code.line(`let response: ${n.response};`);
    code.open('try {');
    code.line(`response = await handler.${n.member}(request);`);
    code.between('} catch (e) {');
    code.line(`if (e instanceof ${n.errorClass}) return { kind: "error", payload: ${n.encodeError}(e.params) };`);
    code.line('throw e;');
    code.close();
    code.line(`return { kind: "reply", payload: ${n.encodeResponse}(response) };`);
    code.close();
  }
  code.line(`default: throw $w.unknownMethod(${lit(iface.name)}, mid);`);
  code.close();
  code.close('};');
  code.close();
}

export interface ClassNames {
  readonly riids: string;
  readonly endpoints: string;
  readonly dispatcher: string;
}

export function classNames(cls: ProcessClass): ClassNames {
  // The module holds nothing else and imports packages under `$` aliases: no collisions possible.
  const short = lastSegment(cls.name);
  return { riids: `${short}_RIID`, endpoints: `${short}Endpoints`, dispatcher: `create${short}Dispatcher` };
}

/** The body of a process class module: RIID table, endpoint handler map type, and the RIID router. */
export function emitClassDispatcher(code: Code, cls: ProcessClass, mod: ModuleContext): void {
  const n = classNames(cls);
  const endpoints = [...cls.endpoints].sort((a, b) => a.riid - b.riid);
  const ifaceNames = (iface: string): InterfaceNames => {
    const names = mod.names.packages.get(iface)?.iface;
    if (!names) throw new Error(`internal: endpoint interface ${iface} of ${cls.name} is not declared`);
    return names;
  };

  code.line(`/** RIID of each endpoint of ${cls.name}, by qualified endpoint name. */`);
  if (endpoints.length === 0) code.line(`export const ${n.riids} = {} as const;`);
  else {
    code.open(`export const ${n.riids} = {`);
    for (const ep of endpoints) code.line(`${lit(ep.qualifiedName)}: ${ep.riid},`);
    code.close('} as const;');
  }
  code.line();

  code.line(`/** One handler per endpoint of ${cls.name}, keyed by qualified endpoint name. */`);
  if (endpoints.length === 0) code.line(`export type ${n.endpoints} = Record<string, never>;`);
  else {
    code.open(`export interface ${n.endpoints} {`);
    for (const ep of endpoints) code.line(`readonly ${lit(ep.qualifiedName)}: ${mod.ref(ep.iface, ifaceNames(ep.iface).handler)};`);
    code.close();
  }
  code.line();

  code.line(`/** Serves every endpoint of ${cls.name}: routes a request by RIID to that endpoint's dispatcher. */`);
  const empty = endpoints.length === 0;
  code.open(`export function ${n.dispatcher}(${empty ? '_endpoints' : 'endpoints'}: ${n.endpoints}): $w.ServerDispatch {`);
  endpoints.forEach((ep, i) => {
    code.line(`const d${i} = ${mod.ref(ep.iface, ifaceNames(ep.iface).dispatcher)}(endpoints[${lit(ep.qualifiedName)}]);`);
  });
  code.open(`return (riid, ${empty ? '_mid' : 'mid'}, ${empty ? '_payload' : 'payload'}) => {`);
  code.open('switch (riid) {');
  endpoints.forEach((ep, i) => code.line(`case ${ep.riid}: return d${i}(mid, payload);`));
  code.line(`default: return Promise.reject($w.unknownEndpoint(${lit(cls.name)}, riid));`);
  code.close();
  code.close('};');
  code.close();
}
