// Selector index: packs (event kind, src class, dst class, RIID, MID) into one integer and memoizes,
// per key, the resolved endpoint/method names and the bindings whose selectors match. O(1) per event.
import type { EventKind, IrBinding, IrClass, IrEndpoint, IrSelectors, SecurityEvent } from './ir.ts';

export const EVENT_KINDS: readonly EventKind[] = ['execute', 'request', 'response', 'error', 'security'];
const EXECUTE = 0, REQUEST = 1, SECURITY = 4;

/** An event with its names resolved, as selectors see it. */
export interface EventInfo {
  readonly kind: EventKind;
  readonly src: number;
  readonly dst: number;
  readonly interface: string | undefined;
  readonly endpoint: string | undefined;
  /** Component names on the endpoint's instance path (IrEndpoint.components). */
  readonly components: readonly string[] | undefined;
  readonly method: string | undefined;
}

export interface Resolved<B> extends EventInfo {
  /** Why the event cannot be valid (unknown endpoint or method), or undefined. */
  readonly invalid: string | undefined;
  readonly bindings: readonly B[];
}

export function selectorsMatch(s: IrSelectors, e: EventInfo): boolean {
  return (s.src === undefined || s.src === e.src)
    && (s.dst === undefined || s.dst === e.dst)
    && (s.interface === undefined || s.interface === e.interface)
    && (s.endpoint === undefined || s.endpoint === e.endpoint)
    && (s.method === undefined || s.method === e.method)
    && (s.component === undefined || (e.components !== undefined && e.components.includes(s.component)));
}

/** `v` is an integer in 0..n-1 (false for non-numbers). */
const isIndex = (v: unknown, n: number): v is number => (v as number) >>> 0 === v && (v as number) < n;

export class SelectorIndex<B extends { readonly binding: IrBinding }> {
  private readonly memo = new Map<number, Resolved<B>>();
  private readonly classes: readonly IrClass[];
  private readonly endpoints: readonly ReadonlyMap<number, IrEndpoint>[];
  private readonly byKind: readonly (readonly B[])[];
  /** Key dimensions; the last RIID/MID value of each range means "none". */
  private readonly nClasses: number;
  private readonly nRiid: number;
  private readonly nMid: number;

  constructor(classes: readonly IrClass[], bindings: readonly B[]) {
    this.classes = classes;
    this.endpoints = classes.map(c => new Map(c.endpoints.map(e => [e.riid, e])));
    this.byKind = EVENT_KINDS.map(k => bindings.filter(b => b.binding.event === k));
    this.nClasses = classes.length;
    let maxRiid = -1, maxMethods = 0;
    for (const c of classes) {
      maxMethods = Math.max(maxMethods, c.securityMethods?.length ?? 0);
      for (const e of c.endpoints) {
        maxRiid = Math.max(maxRiid, e.riid);
        maxMethods = Math.max(maxMethods, e.methods.length);
      }
    }
    this.nRiid = maxRiid + 2;
    this.nMid = maxMethods + 1;
    if (5 * this.nClasses ** 2 * this.nRiid * this.nMid > Number.MAX_SAFE_INTEGER) throw new Error('policy too large for packed selector keys');
  }

  /** The resolved event, or a string saying why its ids are out of range. */
  resolve(ev: SecurityEvent): Resolved<B> | string {
    const k = EVENT_KINDS.indexOf(ev.kind), nc = this.nClasses;
    if (k < 0) return `unknown event kind ${JSON.stringify(String(ev.kind))}`;
    const src = ev.srcClass, dst = k === SECURITY ? src : ev.dstClass;
    if (!isIndex(src, nc)) return `unknown source class ${String(src)}`;
    if (!isIndex(dst, nc)) return `unknown destination class ${String(dst)}`;
    let riid = this.nRiid - 1, mid = this.nMid - 1;
    if (k !== EXECUTE) {
      mid = ev.mid as number;
      if (k !== SECURITY) riid = ev.riid as number;
      if (!isIndex(mid, this.nMid - 1) || (k !== SECURITY && !isIndex(riid, this.nRiid - 1))) {
        return `unknown endpoint/method (riid ${String(ev.riid)}, mid ${String(ev.mid)})`;
      }
    }
    const key = k + 5 * (src + nc * (dst + nc * (riid + this.nRiid * mid)));
    let r = this.memo.get(key);
    if (r === undefined) {
      r = this.build(k, src, dst, riid, mid);
      this.memo.set(key, r);
    }
    return r;
  }

  private build(k: number, src: number, dst: number, riid: number, mid: number): Resolved<B> {
    const kind = EVENT_KINDS[k]!;
    let iface: string | undefined, endpoint: string | undefined, components: readonly string[] | undefined;
    let method: string | undefined, invalid: string | undefined;
    if (k === SECURITY) {
      const c = this.classes[src]!;
      iface = c.securityInterface;
      method = c.securityMethods?.[mid];
      if (method === undefined) invalid = `class ${c.name} has no security method with mid ${mid}`;
    } else if (k !== EXECUTE) {
      const server = k === REQUEST ? dst : src, c = this.classes[server]!, ep = this.endpoints[server]!.get(riid);
      iface = ep?.interface;
      endpoint = ep?.name;
      components = ep?.components;
      method = ep?.methods[mid];
      if (ep === undefined) invalid = `class ${c.name} has no endpoint with riid ${riid}`;
      else if (method === undefined) invalid = `endpoint ${ep.name} has no method with mid ${mid}`;
    }
    const info: EventInfo = { kind, src, dst, interface: iface, endpoint, components, method };
    const bindings = invalid === undefined ? this.byKind[k]!.filter(b => selectorsMatch(b.binding.selectors, info)) : [];
    return { ...info, invalid, bindings };
  }
}
