// PSL → policy IR: loads the policy's files through `use`, resolves classes, objects, selectors
// and audit profiles against the solution model, checks every expression, and compiles PAL tests.
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import type { AssertDecl, BindingDecl, BodyItem, EventKind, PslDecl, PslExpr, PslFile, Selector, TestStep } from '../lang/psl-ast.ts';
import { originalSpan, positionOf, type Span } from '../lang/source.ts';
import type { Method, Param, SolutionModel } from '../model/model.ts';
import {
  POLICY_IR_VERSION, type IrAuditProfile, type IrBinding, type IrChoiceArm, type IrClass, type IrObject,
  type IrSelectors, type IrStmt, type IrValue, type PolicyIR,
} from '../security/ir.ts';
import { checkConfig } from './configs.ts';
import { ExprCompiler, type PolicyObjectInfo, type Typed } from './expressions.ts';
import { defaultMessage, messageViolation, type PalRef, type PalStep, type PalSuite } from './pal.ts';
import { isModelName, MODEL_NAMES } from './signatures.ts';
import { constValue, dictGet, recordKeyText, textList } from './values.ts';

export interface CompiledPolicy {
  readonly ir: PolicyIR;
  readonly suites: readonly PalSuite[];
}

export const DEFAULT_EXECUTE_INTERFACE = 'kl.core.Execute';

/** Compiles the policy made of `files` (from loadPolicyFiles) against the solution model. */
export function compilePolicy(model: SolutionModel, files: readonly PslFile[], diags: DiagnosticBag): CompiledPolicy {
  return new PolicyCompiler(model, diags).compile(files);
}

interface ServerMethod { readonly iface: string; readonly method: Method }

class PolicyCompiler {
  private readonly model: SolutionModel;
  private readonly diags: DiagnosticBag;
  /** PSL class name → EDL class it stands for (`use EDL X` maps X to X; `task class A : B` maps A to B). */
  private readonly visible = new Map<string, string>();
  private readonly classIndex = new Map<string, number>();
  private readonly classes: IrClass[] = [];
  private readonly objects = new Map<string, PolicyObjectInfo & { ir: IrObject }>();
  private readonly profiles = new Map<string, IrAuditProfile>();

  constructor(model: SolutionModel, diags: DiagnosticBag) {
    this.model = model;
    this.diags = diags;
  }

  compile(files: readonly PslFile[]): CompiledPolicy {
    const decls = files.flatMap((f) => f.decls);
    this.buildClasses(decls);
    let executeInterface: string | undefined;
    let auditDefault: PolicyIR['auditDefault'];
    for (const d of decls) {
      if (d.kind === 'execute-interface') {
        if (executeInterface && executeInterface !== d.iface.text) this.diags.error(d.iface.span, `a second execute interface "${d.iface.text}"; the policy already uses ${executeInterface}`);
        executeInterface ??= d.iface.text;
        const pkg = this.model.packages.get(d.iface.text);
        if (!pkg?.interface) this.diags.error(d.iface.span, `unknown execute interface "${d.iface.text}"`);
      } else if (d.kind === 'policy-object') this.object(d);
      else if (d.kind === 'audit-profile') this.profile(d);
    }
    for (const d of decls) {
      if (d.kind !== 'audit-default') continue;
      if (!this.profiles.has(d.profile.text)) this.diags.error(d.profile.span, `unknown audit profile "${d.profile.text}"${this.knownProfiles()}`);
      else auditDefault = { profile: d.profile.text, level: Number(d.level.value) };
    }
    const bindings: IrBinding[] = [];
    for (const d of decls) if (d.kind === 'binding') bindings.push(this.binding(d));
    const suites: PalSuite[] = [];
    for (const d of decls) if (d.kind === 'assert') suites.push(this.suite(d));
    const ir: PolicyIR = {
      version: POLICY_IR_VERSION,
      classes: this.classes,
      objects: [...this.objects.values()].map((o) => o.ir),
      bindings,
      auditProfiles: [...this.profiles.values()],
      auditDefault,
    };
    return { ir, suites };
  }

  origin(span: Span): string {
    const s = originalSpan(span);
    const p = positionOf(s.file, s.start);
    return `${s.file.path}:${p.line}:${p.col}`;
  }

  // ---- classes -------------------------------------------------------------------------------

  private buildClasses(decls: readonly PslDecl[]): void {
    for (const d of decls) {
      if (d.kind === 'use-edl') {
        if (this.model.classes.has(d.name.text)) this.visible.set(d.name.text, d.name.text);
        else this.diags.error(d.name.span, `unknown process class "${d.name.text}": no EDL file found for it`);
      } else if (d.kind === 'task-class') {
        if (!this.model.classes.has(d.edl.text)) {
          this.diags.error(d.edl.span, `unknown process class "${d.edl.text}": no EDL file found for it`);
          continue;
        }
        const prior = this.visible.get(d.name.text);
        if (prior && prior !== d.edl.text) this.diags.error(d.name.span, `class "${d.name.text}" is already declared for ${prior}`);
        else this.visible.set(d.name.text, d.edl.text);
      }
    }
    // Every model class gets an index (the kernel labels tasks by class), plus PSL-only aliases.
    const names = [...new Set([...this.model.classes.keys(), ...this.visible.keys()])].sort();
    for (const name of names) {
      const edl = this.visible.get(name) ?? name;
      const cls = this.model.classes.get(edl)!;
      const security = cls.component.security;
      const securityMethods = security ? this.model.interfaces.get(security)?.methods.map((m) => m.name) : undefined;
      this.classIndex.set(name, this.classes.length);
      this.classes.push({
        name,
        endpoints: cls.endpoints.map((e) => ({
          name: e.qualifiedName,
          riid: e.riid,
          interface: e.iface,
          components: e.components,
          methods: this.model.interfaces.get(e.iface)?.methods.map((m) => m.name) ?? [],
        })),
        ...(security && securityMethods ? { securityInterface: security, securityMethods } : {}),
      });
    }
  }

  /** EDL class behind a PSL class name, reporting unknown or not-included names. */
  private classRef(sel: Selector): number | undefined {
    const name = sel.value.text;
    if (!this.visible.has(name)) {
      if (this.model.classes.has(name)) this.diags.error(sel.value.span, `process class "${name}" is not included in the policy: add "use EDL ${name}"`);
      else this.diags.error(sel.value.span, `unknown process class "${name}"`);
      return undefined;
    }
    return this.classIndex.get(name);
  }

  // ---- objects and audit profiles -----------------------------------------------------------

  private object(d: Extract<PslDecl, { kind: 'policy-object' }>): void {
    const name = d.name.text;
    if (this.objects.has(name)) {
      this.diags.error(d.name.span, `duplicate policy object "${name}"`);
      return;
    }
    if (!isModelName(d.model.text)) {
      this.diags.error(d.model.span, `unknown security model "${d.model.text}"; models are: ${MODEL_NAMES.join(', ')}`);
      return;
    }
    const config = d.config ? constValue(d.config, this.diags, `the config of "${name}"`) : undefined;
    // A config that is not a constant was reported already; checking its shape would only add noise.
    const facts = d.config && !config ? {} : checkConfig(d.model.text, config, d.config?.span ?? d.name.span, this.diags, name);
    this.objects.set(name, { name, model: d.model.text, facts, ir: { name, model: d.model.text, config, origin: this.origin(d.span) } });
  }

  private knownProfiles(): string {
    return this.profiles.size ? `; profiles are: ${[...this.profiles.keys()].join(', ')}` : '';
  }

  private profile(d: Extract<PslDecl, { kind: 'audit-profile' }>): void {
    const name = d.name.text;
    if (this.profiles.has(name)) {
      this.diags.error(d.name.span, `duplicate audit profile "${name}"`);
      return;
    }
    const value = constValue(d.value, this.diags, `audit profile "${name}"`);
    if (!value) return;
    if (value.t !== 'dict') {
      this.diags.error(d.value.span, `audit profile "${name}" must be a record { <level> : { <object> : { kss : […] } } }`);
      return;
    }
    const levels: IrAuditProfile['levels'][number][] = [];
    for (const [levelKey, perObject] of value.fields) {
      const level = Number(levelKey);
      if (!Number.isInteger(level) || level < 0 || perObject.t !== 'dict') {
        this.diags.error(d.value.span, `audit profile "${name}": level "${levelKey}" must be a non-negative integer mapping objects to conditions`);
        continue;
      }
      const objects: IrAuditProfile['levels'][number]['objects'][number][] = [];
      for (const [object, cond] of perObject.fields) {
        if (!this.objects.has(object)) this.diags.error(d.value.span, `audit profile "${name}" level ${level} names unknown policy object "${object}"`);
        const kss = textList(dictGet(cond, 'kss')) ?? [];
        const bad = kss.find((k) => k !== 'granted' && k !== 'denied');
        if (bad !== undefined || cond.t !== 'dict') this.diags.error(d.value.span, `audit profile "${name}": "kss" of "${object}" must list "granted" and/or "denied"${bad ? `, found "${bad}"` : ''}`);
        objects.push({
          object,
          kss: kss.filter((k): k is 'granted' | 'denied' => k === 'granted' || k === 'denied'),
          omit: textList(dictGet(cond, 'omit')) ?? [],
          emit: textList(dictGet(cond, 'emit')) ?? [],
        });
      }
      levels.push({ level, objects });
    }
    this.profiles.set(name, { name, levels });
  }

  // ---- bindings ------------------------------------------------------------------------------

  private binding(d: BindingDecl): IrBinding {
    const selectors = this.selectors(d.event, d.selectors, {});
    return { event: d.event, selectors, body: this.body(d.event, selectors, d.body), origin: this.origin(d.span) };
  }

  private selectors(event: EventKind, sels: readonly Selector[], inherited: IrSelectors): IrSelectors {
    const out: { -readonly [K in keyof IrSelectors]: IrSelectors[K] } = { ...inherited };
    const seen = new Set<string>();
    for (const s of sels) {
      if (seen.has(s.key)) this.diags.error(s.keySpan, `selector "${s.key}" is given twice`);
      seen.add(s.key);
      if (s.key === 'src' || s.key === 'dst') {
        if (event === 'security' && s.key === 'dst') this.diags.error(s.keySpan, 'security events have no destination (dst=); only src=');
        const idx = this.classRef(s);
        if (idx !== undefined) out[s.key] = idx;
        continue;
      }
      if (event === 'execute') {
        this.diags.error(s.keySpan, `execute events have no ${s.key}; they take only src= and dst=`);
        continue;
      }
      if (s.key === 'interface') {
        if (!this.model.interfaces.has(s.value.text)) this.diags.error(s.value.span, `unknown interface "${s.value.text}"`);
        out.interface = s.value.text;
      } else if (s.key === 'component') {
        if (!this.model.components.has(s.value.text)) this.diags.error(s.value.span, `unknown component "${s.value.text}"`);
        out.component = s.value.text;
      } else {
        out[s.key] = s.value.text;
      }
    }
    // Endpoint and method selectors must name something the selected server can receive.
    const endpointSel = sels.find((s) => s.key === 'endpoint');
    const methodSel = sels.find((s) => s.key === 'method');
    if ((endpointSel || methodSel) && event !== 'execute') {
      const servers = this.serverClasses(event, out);
      const described = servers.length === 1 ? `class ${this.classes[servers[0]!]!.name}` : 'the classes these selectors allow';
      if (endpointSel && event !== 'security' && !servers.some((c) => this.classes[c]!.endpoints.some((e) => e.name === endpointSel.value.text))) {
        const known = servers.length === 1 ? `; its endpoints are: ${this.classes[servers[0]!]!.endpoints.map((e) => e.name).join(', ') || '(none)'}` : '';
        this.diags.error(endpointSel.value.span, `no endpoint "${endpointSel.value.text}" in ${described}${known}`);
      } else if (methodSel && this.serverMethods(event, out).length === 0) {
        this.diags.error(methodSel.value.span, `no method "${methodSel.value.text}" in ${endpointSel ? `endpoint ${endpointSel.value.text} of ` : ''}${described}`);
      }
    }
    return out;
  }

  /** Classes whose endpoints receive the message: dst of a request, src of a response/error/security. */
  private serverClasses(event: EventKind, sel: IrSelectors): number[] {
    const fixed = event === 'request' ? sel.dst : sel.src;
    if (fixed !== undefined) return [fixed];
    return [...this.visible.keys()].map((n) => this.classIndex.get(n)!);
  }

  private serverMethods(event: EventKind, sel: IrSelectors): ServerMethod[] {
    const found = new Map<string, ServerMethod>();
    for (const c of this.serverClasses(event, sel)) {
      const cls = this.classes[c]!;
      const ifaces = event === 'security'
        ? (cls.securityInterface ? [cls.securityInterface] : [])
        : cls.endpoints.filter((e) => (sel.endpoint === undefined || e.name === sel.endpoint) && (sel.interface === undefined || e.interface === sel.interface)).map((e) => e.interface);
      for (const iface of ifaces) {
        for (const m of this.model.interfaces.get(iface)?.methods ?? []) {
          if (sel.method === undefined || m.name === sel.method) found.set(`${iface}.${m.name}`, { iface, method: m });
        }
      }
    }
    return [...found.values()];
  }

  private body(event: EventKind, sel: IrSelectors, items: readonly BodyItem[]): IrStmt[] {
    const exprs = new ExprCompiler({
      objects: this.objects,
      types: this.model.types,
      origin: (s) => this.origin(s),
      message: () => this.messageParams(event, sel),
    }, this.diags);
    const out: IrStmt[] = [];
    for (const item of items) {
      switch (item.kind) {
        case 'audit':
          if (!this.profiles.has(item.profile.text)) this.diags.error(item.profile.span, `unknown audit profile "${item.profile.text}"${this.knownProfiles()}`);
          out.push({ k: 'audit', profile: item.profile.text });
          break;
        case 'rule': {
          const resolved = exprs.method(item.callee.text, item.callee.span, 'rule');
          if (!resolved) break;
          const arg = exprs.checkArg(resolved.sig.arg, item.arg, item.callee.text);
          this.checkFlowLiterals(resolved.object, resolved.method, item.arg);
          out.push({ k: 'rule', object: resolved.object.name, method: resolved.method, arg: arg.ir, origin: this.origin(item.span) });
          break;
        }
        case 'match': {
          const inner = this.selectors(event, item.selectors, sel);
          out.push({ k: 'match', selectors: inner, body: this.body(event, inner, item.body), origin: this.origin(item.span) });
          break;
        }
        case 'choice': {
          const on = exprs.compile(item.scrutinee);
          const arms: IrChoiceArm[] = [];
          for (const arm of item.arms) {
            const body = this.body(event, sel, arm.body);
            if (arm.pattern.kind === 'wildcard') { arms.push({ pattern: undefined, body }); continue; }
            for (const lit of arm.pattern.values) {
              const value: IrValue = lit.kind === 'int' ? { t: 'int', v: lit.value.toString() } : lit.kind === 'string' ? { t: 'text', v: lit.value } : { t: 'bool', v: lit.value };
              this.checkChoiceArm(on, value, lit.span);
              arms.push({ pattern: value, body });
            }
          }
          out.push({ k: 'choice', on: on.ir, arms, origin: this.origin(item.span) });
          break;
        }
      }
    }
    return out;
  }

  private checkChoiceArm(on: Typed, value: IrValue, at: Span): void {
    const states = on.flowObject?.facts.states;
    if (states && value.t === 'text' && !states.includes(value.v)) {
      this.diags.error(at, `"${value.v}" is not a state of Flow object "${on.flowObject!.name}" (states: [${states.join(', ')}])`);
    }
    if (on.regexSelect && value.t === 'text') {
      try { new RegExp(value.v); } catch (err) { this.diags.error(at, `invalid regular expression: ${(err as Error).message}`); }
    }
  }

  /** Flow state literals in `enter`/`allow` must be states of that object. */
  private checkFlowLiterals(object: PolicyObjectInfo, method: string, argExpr: PslExpr): void {
    const states = object.facts.states;
    if (object.model !== 'Flow' || !states || argExpr.kind !== 'record') return;
    for (const entry of argExpr.entries) {
      const key = recordKeyText(entry.key);
      const literals = key === 'state' && method === 'enter' ? [entry.value] : key === 'states' && method === 'allow' && entry.value.kind === 'list' ? entry.value.items : [];
      for (const lit of literals) {
        if (lit.kind === 'string' && !states.includes(lit.value)) {
          this.diags.error(lit.span, `"${lit.value}" is not a state of Flow object "${object.name}" (states: [${states.join(', ')}])`);
        }
      }
    }
  }

  private messageParams(event: EventKind, sel: IrSelectors): { params: readonly Param[]; describe: string } | { error: string } {
    if (event === 'execute') return { error: 'execute events carry no message' };
    const methods = this.serverMethods(event, sel);
    if (methods.length === 0) return { error: 'no method matches these selectors, so "message" has no parameters' };
    if (methods.length > 1) {
      const list = methods.slice(0, 6).map((m) => `${m.iface}.${m.method.name}`).join(', ');
      return { error: `"message" needs selectors that narrow the event to one method (endpoint= and method=); here it could be any of: ${list}${methods.length > 6 ? ', …' : ''}` };
    }
    const { iface, method } = methods[0]!;
    const direction = event === 'response' ? 'response' : event === 'error' ? 'error' : 'request';
    const label = event === 'response' ? 'out' : event === 'error' ? 'error' : 'in';
    return { params: method[direction].params, describe: `${iface}.${method.name} (${label} parameters)` };
  }

  // ---- PAL tests -----------------------------------------------------------------------------

  private suite(d: AssertDecl): PalSuite {
    const variables = new Map<string, number>();
    const steps = (list: readonly TestStep[], scope: Map<string, number>) => list.map((s) => this.step(s, scope)).filter((s): s is PalStep => s !== undefined);
    const setup = d.setup ? steps(d.setup.steps, variables) : [];
    const sequences = d.sequences.map((seq) => {
      const scope = new Map(variables);
      return { name: seq.name?.value, origin: this.origin(seq.span), steps: steps(seq.steps, scope), scope };
    });
    const finallyVars = new Map(variables);
    const fin = d.finally ? steps(d.finally.steps, finallyVars) : [];
    return { name: d.name?.value, origin: this.origin(d.span), setup, sequences: sequences.map(({ scope: _s, ...rest }) => rest), finally: fin };
  }

  private testRef(sel: Selector | undefined, scope: Map<string, number>): PalRef | undefined {
    if (!sel) return undefined;
    const v = scope.get(sel.value.text);
    if (v !== undefined) return { variable: sel.value.text, class: v };
    const idx = this.visible.has(sel.value.text) ? this.classIndex.get(sel.value.text) : undefined;
    if (idx === undefined) {
      this.diags.error(sel.value.span, `"${sel.value.text}" is neither a test variable (bound with "<-") nor a process class included in the policy`);
      return undefined;
    }
    return { class: idx };
  }

  private step(s: TestStep, scope: Map<string, number>): PalStep | undefined {
    const get = (k: string) => s.selectors.find((x) => x.key === k);
    const origin = this.origin(s.span);
    if (s.kind === 'test-bind') {
      const dst = this.testRef(get('dst'), scope);
      if (!dst) { if (!get('dst')) this.diags.error(s.span, `"${s.variable.text} <- execute" needs dst=<class>`); return undefined; }
      const src = this.testRef(get('src'), scope);
      scope.set(s.variable.text, dst.class);
      return { k: 'bind', variable: s.variable.text, src, dst, origin };
    }
    const src = this.testRef(get('src'), scope);
    const dst = this.testRef(get('dst'), scope);
    const endpoint = get('endpoint')?.value.text;
    const methodName = get('method')?.value.text;
    let riid: number | undefined;
    let mid: number | undefined;
    let message: IrValue | undefined;
    if (s.event !== 'execute') {
      const server = s.event === 'request' ? dst : src;
      const cls = server ? this.classes[server.class] : undefined;
      if (s.event === 'security') {
        const m = cls?.securityMethods?.indexOf(methodName ?? '') ?? -1;
        if (cls && m < 0) this.diags.error(get('method')?.value.span ?? s.span, `class ${cls.name} has no security method "${methodName ?? ''}"`);
        mid = m >= 0 ? m : undefined;
      } else if (cls) {
        const ep = cls.endpoints.find((e) => e.name === endpoint);
        if (!ep) this.diags.error(get('endpoint')?.value.span ?? s.span, `class ${cls.name} has no endpoint "${endpoint ?? ''}"; its endpoints are: ${cls.endpoints.map((e) => e.name).join(', ') || '(none)'}`);
        else {
          riid = ep.riid;
          const m = ep.methods.indexOf(methodName ?? '');
          if (m < 0) this.diags.error(get('method')?.value.span ?? s.span, `endpoint ${endpoint} of ${cls.name} has no method "${methodName ?? ''}"; its methods are: ${ep.methods.join(', ')}`);
          else mid = m;
        }
      }
      message = this.testMessage(s, cls, riid, mid);
    }
    const invalid = message ? this.messageInvalid(s, dst, src, riid, mid, message) : undefined;
    return { k: 'case', expect: s.expect, name: s.name?.value, event: s.event, src, dst, riid, mid, message, ...(invalid ? { invalid } : {}), origin };
  }

  private messageInvalid(s: Extract<TestStep, { kind: 'test-case' }>, dst: PalRef | undefined, src: PalRef | undefined, riid: number | undefined, mid: number | undefined, message: IrValue): string | undefined {
    const server = s.event === 'request' ? dst : src;
    const cls = server ? this.classes[server.class] : undefined;
    const params = cls && mid !== undefined ? this.methodParams(s.event, cls, riid, mid) : undefined;
    return params ? messageViolation(message, params, this.model.types) : undefined;
  }

  private methodParams(event: EventKind, cls: IrClass, riid: number | undefined, mid: number): readonly Param[] | undefined {
    const iface = event === 'security' ? cls.securityInterface : cls.endpoints.find((e) => e.riid === riid)?.interface;
    const method = iface ? this.model.interfaces.get(iface)?.methods[mid] : undefined;
    return method?.[event === 'response' ? 'response' : event === 'error' ? 'error' : 'request'].params;
  }

  private testMessage(s: Extract<TestStep, { kind: 'test-case' }>, cls: IrClass | undefined, riid: number | undefined, mid: number | undefined): IrValue | undefined {
    if (!cls || mid === undefined) return undefined;
    const iface = s.event === 'security' ? cls.securityInterface : cls.endpoints.find((e) => e.riid === riid)?.interface;
    const method = iface ? this.model.interfaces.get(iface)?.methods[mid] : undefined;
    if (!method) return undefined;
    const params = method[s.event === 'response' ? 'response' : s.event === 'error' ? 'error' : 'request'].params;
    const given = s.message ? constValue(s.message, this.diags, 'a test message') : undefined;
    if (given?.t === 'dict') {
      for (const [k] of given.fields) {
        if (!params.some((p) => p.name === k)) {
          this.diags.error(s.message!.span, `"${k}" is not a parameter of ${iface}.${method.name}; its parameters are: ${params.map((p) => p.name).join(', ') || '(none)'}`);
        }
      }
    }
    return defaultMessage(params, this.model.types, given);
  }
}

