// Builds the solution model from a solution directory: parses every spec file, resolves names,
// and runs the static checks. Errors are collected, never thrown.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ComponentFile } from '../lang/ast.ts';
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from '../lang/diagnostics.ts';
import { parseInitYaml, type InitFile } from '../lang/init-yaml.ts';
import { makeSource, span, type Span } from '../lang/source.ts';
import { IdlResolver } from './idl-resolve.ts';
import { CITADEL_INCLUDE, SpecLoader, serviceEntityPath, type KosMode } from './loader.ts';
import type { Channel, Component, Isolation, ProcessClass, ResolvedEndpoint, SolutionModel, Task } from './model.ts';

export interface CheckResult {
  /** Present when there are no errors. */
  readonly model: SolutionModel | undefined;
  /** The model as far as it could be built, for later passes that report more errors. */
  readonly partial: SolutionModel;
  readonly diagnostics: readonly Diagnostic[];
  readonly loader: SpecLoader;
}

export interface CheckOptions {
  readonly includeDirs?: readonly string[];
  /** The init description; default `<root>/init.yaml`; false when there is none (PAL tests only). */
  readonly initFile?: string | false;
  /** Parse every spec file under the root (default), or only what is referenced (KOS repositories). */
  readonly discover?: boolean;
  /** KasperskyOS repository mode (templates, names by declaration, SDK stand-ins). */
  readonly kos?: KosMode & { readonly stubMissing: boolean };
  /** Reuse a loader (and its diagnostics) that other passes of the same check already use. */
  readonly loader?: SpecLoader;
  /** Classes a policy names (`use EDL`), resolved here so the policy compiler finds them. */
  readonly extraClasses?: readonly { readonly name: string; readonly span: Span }[];
  /** IDL packages to resolve although nothing references them (the kernel's own client interfaces). */
  readonly extraPackages?: readonly string[];
}

/** The classes every solution has, whether or not init.yaml lists them. */
export const BUILTIN_CLASSES = ['Einit', 'kl.core.Core'];

export function checkSolution(root: string, options: CheckOptions = {}): CheckResult {
  const loader = options.loader ?? new SpecLoader(root, new DiagnosticBag(), options.includeDirs, options.kos);
  const diags = loader.diags;
  const builder = new ModelBuilder(loader, diags, options);
  const model = builder.build();
  return { model: diags.hasErrors ? undefined : model, partial: model, diagnostics: sortDiagnostics(diags.items), loader };
}

class ModelBuilder {
  private readonly loader: SpecLoader;
  private readonly diags: DiagnosticBag;
  private readonly idl: IdlResolver;
  /** Keyed `cdl:name` / `edl:name`: components and process classes are looked up by kind. */
  private readonly components = new Map<string, Component | 'resolving' | 'missing'>();
  private readonly classes = new Map<string, ProcessClass>();
  /** `security X` declarations, checked once interfaces are final. */
  private readonly securityRefs: { iface: string; span: Span }[] = [];

  private readonly options: CheckOptions;
  /** Classes replaced by empty stand-ins under --stub-missing. */
  private readonly stubs = new Set<string>();

  constructor(loader: SpecLoader, diags: DiagnosticBag, options: CheckOptions) {
    this.loader = loader;
    this.diags = diags;
    this.options = options;
    this.idl = new IdlResolver(loader, diags);
  }

  build(): SolutionModel {
    const initPath = this.options.initFile ?? path.join(this.loader.root, 'init.yaml');
    let init: InitFile | undefined;
    if (initPath === false) {
      // Policy tests of a repository need classes, not tasks.
    } else if (existsSync(initPath)) {
      init = parseInitYaml(this.loader.readSource(initPath), this.diags);
    } else {
      this.diags.error(span(makeSource('init.yaml', ''), 0), `no init.yaml in ${this.loader.root}: a solution is described by its init.yaml`);
    }

    if (this.options.discover !== false) {
      for (const { kind, abs } of this.loader.discover()) {
        if (kind === 'idl') this.idl.loadFile(abs);
        else this.componentAt(abs, kind, undefined);
      }
    }
    for (const name of BUILTIN_CLASSES) this.processClass(name, undefined);
    for (const extra of this.options.extraClasses ?? []) this.processClass(extra.name, this.options.kos?.stubMissing ? extra.span : undefined);
    // The execute interface every policy names (explicitly or by default).
    this.idl.requirePackage('kl.core.Execute', undefined);
    for (const name of this.options.extraPackages ?? []) this.idl.requirePackage(name, undefined);
    const tasks = init ? this.tasks(init) : [];
    this.idl.finish();
    this.checkSecurityInterfaces();
    if (init) this.checkConnections(init, tasks);
    // Endpoints are flattened after interfaces are final (RIIDs only depend on declaration order).
    for (const c of this.components.values()) {
      if (typeof c === 'object' && c.isClass && !this.classes.has(c.name)) this.classes.set(c.name, this.flatten(c));
    }
    const channels = this.channels(tasks);
    return {
      root: this.loader.root,
      packages: this.idl.packages,
      types: this.idl.types,
      interfaces: this.idl.interfaces,
      components: new Map([...this.components.values()].filter((c): c is Component => typeof c === 'object').map((c) => [c.name, c])),
      classes: this.classes,
      tasks,
      channels,
    };
  }

  private processClass(name: string, ref: Span | undefined): Component | undefined {
    return this.component(name, 'edl', ref);
  }

  private component(name: string, kind: 'cdl' | 'edl', ref: Span | undefined): Component | undefined {
    const known = this.components.get(`${kind}:${name}`);
    if (known === 'resolving') {
      if (ref) this.diags.error(ref, `component "${name}" contains itself`);
      return undefined;
    }
    if (known) return known === 'missing' ? undefined : known;
    const abs = this.loader.locate(name, kind);
    if (!abs) {
      const what = kind === 'edl' ? 'process class' : 'component';
      if (this.options.kos?.stubMissing) return this.stub(name, kind, ref, what);
      this.components.set(`${kind}:${name}`, 'missing');
      if (ref) {
        const hint = this.options.kos ? ' (--stub-missing replaces it with an empty stand-in)' : '';
        this.diags.error(ref, `unknown ${what} "${name}": no ${name.split('.').join('/')}.${kind} ${this.options.kos ? 'in the repository, no file declaring it, and no SDK stand-in' : "in the solution or Citadel's include tree"}${hint}`);
      }
      return undefined;
    }
    return this.componentAt(abs, kind, ref);
  }

  /** --stub-missing: an empty component or class standing in for one that cannot be found. */
  private stub(name: string, kind: 'cdl' | 'edl', ref: Span | undefined, what: string): Component {
    const at = ref ?? span(makeSource('<stub>', ''), 0);
    if (ref) this.diags.warning(ref, `unresolved ${what} "${name}" replaced by an empty stand-in (--stub-missing)`);
    const c: Component = { name, isClass: kind === 'edl', form: kind === 'edl' ? 'entity' : 'component', security: undefined, endpoints: [], instances: [], path: '<stub>', span: at };
    this.stubs.add(name);
    this.components.set(`${kind}:${name}`, c);
    return c;
  }

  private componentAt(abs: string, kind: 'cdl' | 'edl', ref: Span | undefined): Component | undefined {
    const ast = this.loader.loadComponentFile(abs, kind);
    const name = this.loader.nameFor(abs, ast.name?.text);
    if (!name) return undefined;
    const key = `${kind}:${name}`;
    const known = this.components.get(key);
    if (known === 'resolving') {
      if (ref) this.diags.error(ref, `component "${name}" contains itself`);
      return undefined;
    }
    if (known && known !== 'missing') return known;
    this.components.set(key, 'resolving');
    const c = this.resolveComponent(ast, name, abs);
    this.components.set(key, c);
    return c;
  }

  private resolveComponent(ast: ComponentFile, expected: string, abs: string): Component {
    const what = ast.kind === 'edl' ? 'process class' : 'component';
    if (this.loader.strictNames && ast.name && ast.name.text !== expected) {
      this.diags.error(ast.name.span, `${what} name "${ast.name.text}" does not match its file path: ${this.loader.displayPath(abs)} must declare "${expected}"`);
    }
    if (ast.security && this.idl.requireInterface(ast.security.text, ast.security.span)) {
      this.securityRefs.push({ iface: ast.security.text, span: ast.security.span });
    }
    const names = new Map<string, Span>();
    const claim = (name: string, at: Span, kindOf: string) => {
      const prior = names.get(name);
      if (prior) this.diags.error(at, `duplicate ${kindOf} "${name}" in ${what} ${expected}`);
      else names.set(name, at);
    };
    for (const ep of ast.endpoints) {
      claim(ep.name.text, ep.name.span, 'endpoint');
      this.idl.requireInterface(ep.iface.text, ep.iface.span);
    }
    for (const inst of ast.components) {
      claim(inst.name.text, inst.name.span, 'component instance');
      this.component(inst.component.text, 'cdl', inst.component.span);
    }
    return {
      name: expected,
      isClass: ast.kind === 'edl',
      form: ast.form,
      security: ast.security?.text,
      endpoints: ast.endpoints.map((e) => ({ name: e.name.text, iface: e.iface.text })),
      instances: ast.components.map((i) => ({ name: i.name.text, component: i.component.text })),
      path: this.loader.displayPath(abs),
      span: ast.name?.span ?? span(ast.file, 0),
    };
  }

  private checkSecurityInterfaces(): void {
    for (const ref of this.securityRefs) {
      for (const m of this.idl.interfaces.get(ref.iface)?.methods ?? []) {
        if (m.response.params.length > 0 || m.error.params.length > 0) {
          this.diags.error(ref.span, `security interface ${ref.iface} is invalid: its method ${m.name} has "out" or "error" parameters (security interface methods take only "in" parameters)`);
        }
      }
    }
  }

  private declaresEndpoints(c: Component, depth: number): boolean {
    if (c.endpoints.length > 0) return true;
    return depth < 64 && c.instances.some((i) => {
      const sub = this.components.get(`cdl:${i.component}`);
      return typeof sub === 'object' && this.declaresEndpoints(sub, depth + 1);
    });
  }

  /** Qualified endpoint names and RIIDs: own endpoints first, then each instance's, depth first. */
  private flatten(c: Component): ProcessClass {
    const endpoints: ResolvedEndpoint[] = [];
    const walk = (comp: Component, prefix: string, path: readonly string[], depth: number) => {
      if (depth > 64) return;
      for (const ep of comp.endpoints) {
        if (this.idl.interfaces.has(ep.iface)) endpoints.push({ qualifiedName: prefix + ep.name, riid: endpoints.length, iface: ep.iface, components: path });
      }
      for (const inst of comp.instances) {
        const sub = this.components.get(`cdl:${inst.component}`);
        if (typeof sub === 'object') walk(sub, `${prefix}${inst.name}.`, [...path, sub.name], depth + 1);
      }
    };
    walk(c, '', [], 0);
    return { name: c.name, component: c, endpoints };
  }

  /** `src/<ShortName>.ts` in the solution, or the shipped code of a Citadel service's class. */
  private defaultEntityPath(className: string, shortName: string): string {
    const edl = this.loader.locate(className, 'edl');
    return (edl && serviceEntityPath(edl)) ?? `src/${shortName}.ts`;
  }

  private tasks(init: InitFile): Task[] {
    const tasks: Task[] = [];
    const byName = new Map<string, Span>();
    for (const e of init.entities) {
      const className = e.name.value;
      this.processClass(className, e.name.span);
      const taskName = e.task ?? e.name;
      const prior = byName.get(taskName.value);
      if (prior) {
        this.diags.error(taskName.span, `duplicate task name "${taskName.value}"; give each process of class ${className} its own "task:" name`);
        continue;
      }
      byName.set(taskName.value, taskName.span);
      let isolation: Isolation = 'worker';
      if (e.isolation) {
        if (e.isolation.value === 'worker' || e.isolation.value === 'process' || e.isolation.value === 'wasm') isolation = e.isolation.value;
        else this.diags.error(e.isolation.span, `unknown isolation "${e.isolation.value}" (expected worker, process or wasm)`);
      }
      const limit = (k: string) => e.limits.find((l) => l.key.value === k)?.value.value;
      const env: Record<string, string> = {};
      for (const { key, value } of e.env) env[key.value] = value.value;
      const shortName = className.slice(className.lastIndexOf('.') + 1);
      tasks.push({
        name: taskName.value,
        className,
        path: e.path?.value ?? this.defaultEntityPath(className, shortName),
        args: e.args.map((a) => a.value),
        env,
        connections: e.connections.map((c) => ({ id: c.id.value, target: c.target.value, span: c.span })),
        isolation,
        limits: { memoryMiB: limit('memoryMiB'), blockMs: limit('blockMs'), queueKiB: limit('queueKiB'), inFlight: limit('inFlight') },
        resources: {
          fsRead: e.resources?.fsRead.map((p) => p.value) ?? [],
          fsWrite: e.resources?.fsWrite.map((p) => p.value) ?? [],
          net: e.resources?.net?.value ?? false,
        },
        restart: { mode: e.restart?.value.mode === 'on-failure' ? 'on-failure' : 'never', maxRestarts: e.restart?.value.max ?? 0 },
        span: taskName.span,
      });
    }
    if (this.options.kos) this.addExternalTasks(init, tasks);
    return tasks;
  }

  /**
   * KOS repositories: SDK programs a solution connects to are added to init by the SDK's build
   * (`@INIT_EXTERNAL_ENTITIES@`), so a connection target naming an SDK stand-in becomes a task.
   * Under --stub-missing any other unknown target becomes an empty stand-in task.
   */
  private addExternalTasks(init: InitFile, tasks: Task[]): void {
    for (const conn of init.entities.flatMap((e) => e.connections)) {
      const name = conn.target.value;
      if (tasks.some((t) => t.name === name)) continue;
      const abs = this.loader.locate(name, 'edl');
      const sdk = abs !== undefined && abs.startsWith(CITADEL_INCLUDE);
      // A repository class that init.yaml does not start is a real defect: checkConnections reports it.
      if (abs && !sdk) continue;
      if (!abs && !this.options.kos?.stubMissing) continue;
      if (sdk) this.processClass(name, conn.target.span);
      else this.stub(name, 'edl', conn.target.span, 'connection target');
      tasks.push({
        name, className: name, path: name, args: [], env: {}, connections: [], isolation: 'worker',
        limits: { memoryMiB: undefined, blockMs: undefined, queueKiB: undefined, inFlight: undefined },
        resources: { fsRead: [], fsWrite: [], net: false }, restart: { mode: 'never', maxRestarts: 0 }, span: conn.target.span,
      });
    }
  }

  /** Runs once every task and interface is known, so order in init.yaml does not matter. */
  private checkConnections(init: InitFile, tasks: readonly Task[]): void {
    for (const entity of init.entities) {
      const client = (entity.task ?? entity.name).value;
      const ids = new Map<string, Span>();
      for (const conn of entity.connections) {
        const prior = ids.get(conn.id.value);
        if (prior) this.diags.error(conn.id.span, `duplicate channel id "${conn.id.value}" for task ${client}: each connection of a client needs its own id`);
        ids.set(conn.id.value, conn.id.span);
        const target = tasks.find((t) => t.name === conn.target.value);
        if (!target) {
          const hint = this.options.kos ? ' nor an SDK program (--stub-missing replaces unknown targets with empty stand-ins)' : '';
          this.diags.error(conn.target.span, `connection target "${conn.target.value}" is not a task in init.yaml${hint}`);
          continue;
        }
        const cls = this.components.get(`edl:${target.className}`);
        if (this.stubs.has(target.className)) continue;
        // Endpoints naming unknown interfaces were reported already; don't report them again here.
        if (typeof cls === 'object' && cls.isClass && !this.declaresEndpoints(cls, 0)) {
          this.diags.error(conn.target.span, `connection target "${conn.target.value}" (class ${target.className}) has no endpoints to serve`);
        }
      }
    }
  }

  private channels(tasks: readonly Task[]): Channel[] {
    const channels: Channel[] = [];
    for (const t of tasks) {
      t.connections.forEach((c, i) => {
        if (tasks.some((s) => s.name === c.target)) channels.push({ id: c.id, client: t.name, server: c.target, handle: i + 1 });
      });
    }
    return channels;
  }
}
