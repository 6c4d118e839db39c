// Mounts and client namespaces: the driver's `--mount` arguments, the canonical form of paths on
// the wire, and where a path of one client's namespace leads (a mount, or a directory that only
// holds mount points).
import * as F from './gen/kl.vfs.Files.idl.ts';
import { VfsError } from './errors.ts';

/** One `--mount` argument, as written. */
export interface MountSpec {
  /** The client name it applies to, or `*` for every client. */
  readonly client: string;
  /** Where the client sees it: an absolute canonical path ("/", "/shared"). */
  readonly at: string;
  /** The host directory, relative to the data directory like `resources.fs` paths. */
  readonly hostDir: string;
  readonly readOnly: boolean;
}

/** A mount of a running driver: its spec and the real host path of its directory. */
export interface Mount extends MountSpec {
  readonly segments: readonly string[];
  readonly real: string;
}

const CLIENT = /^(?:\*|[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})$/;

/**
 * Parses `--mount CLIENT:HOSTDIR:MODE` (mounted at "/") and `--mount CLIENT:/AT:HOSTDIR:MODE`
 * (MODE `ro` or `rw`) from the driver's args; anything else in args is an error.
 */
export function parseMountArgs(args: readonly string[]): MountSpec[] {
  const specs: MountSpec[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = arg === '--mount' ? args[++i] : arg.startsWith('--mount=') ? arg.slice('--mount='.length) : undefined;
    if (value === undefined) throw new Error(arg === '--mount' ? '--mount needs a value: CLIENT:[/AT:]HOSTDIR:ro|rw' : `unknown argument "${arg}" (kl.Vfs takes --mount CLIENT:[/AT:]HOSTDIR:ro|rw)`);
    specs.push(parseMount(value));
  }
  const seen = new Set<string>();
  for (const s of specs) {
    const key = `${s.client}\0${s.at}`;
    if (seen.has(key)) throw new Error(`--mount: client ${s.client} has two mounts at ${s.at}`);
    seen.add(key);
  }
  return specs;
}

function parseMount(value: string): MountSpec {
  const parts = value.split(':');
  const fail = (why: string) => new Error(`--mount ${value}: ${why} (expected CLIENT:[/AT:]HOSTDIR:ro|rw)`);
  if (parts.length !== 3 && parts.length !== 4) throw fail('wrong number of fields');
  const [client, ...rest] = parts as [string, ...string[]];
  const mode = rest.pop()!;
  const at = rest.length === 2 ? rest.shift()! : '/';
  const hostDir = rest[0]!;
  if (!CLIENT.test(client)) throw fail(`"${client}" is not a client name or *`);
  if (mode !== 'ro' && mode !== 'rw') throw fail(`mode "${mode}" is neither ro nor rw`);
  if (!isCanonical(at)) throw fail(`mount point "${at}" is not an absolute canonical path`);
  if (hostDir === '' || hostDir.includes('\0')) throw fail('empty host directory');
  return { client, at, hostDir, readOnly: mode === 'ro' };
}

function isCanonical(p: string): boolean {
  try {
    segmentsOf(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The segments of a wire path. Paths are absolute and canonical; ".." is refused as traversal
 * (EACCES), other non-canonical forms as EINVAL.
 */
export function segmentsOf(p: string): string[] {
  if (typeof p !== 'string' || !p.startsWith('/')) throw new VfsError(F.EINVAL, 'a path must be absolute in the client\'s namespace');
  if (p.includes('\0')) throw new VfsError(F.EINVAL, 'a path must not contain NUL');
  if (p === '/') return [];
  const segments = p.slice(1).split('/');
  for (const s of segments) {
    if (s === '..') throw new VfsError(F.EACCES, 'path traversal (..) is refused');
    if (s === '' || s === '.') throw new VfsError(F.EINVAL, 'a path must be canonical (no empty or . segments, no trailing /)');
    if (new TextEncoder().encode(s).length > F.MaxName) throw new VfsError(F.ENAMETOOLONG, `a name is longer than ${F.MaxName} bytes`);
  }
  return segments;
}

export function joinSegments(segments: readonly string[]): string {
  return '/' + segments.join('/');
}

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= segments.length && prefix.every((s, i) => segments[i] === s);
}

/** Where a path of a namespace leads. */
export type Place =
  | { readonly kind: 'mount'; readonly mount: Mount; readonly rest: readonly string[] }
  /** A directory that exists only because mount points lie below it: read-only, lists them. */
  | { readonly kind: 'synthetic'; readonly children: readonly string[] }
  /** Nothing: a path below a synthetic directory that is not in a mount. */
  | { readonly kind: 'absent' };

/** One client's view: its mounts, the most specific mount point winning. */
export class Namespace {
  readonly mounts: readonly Mount[];

  constructor(mounts: readonly Mount[]) {
    // Longest mount point first, so the first match is the most specific.
    this.mounts = [...mounts].sort((a, b) => b.segments.length - a.segments.length);
  }

  place(segments: readonly string[]): Place {
    const mount = this.mounts.find((m) => startsWith(segments, m.segments));
    // A directory on the way to a mount point (and not itself one) holds only mount points, so a
    // path under it that no mount covers leads nowhere.
    for (let n = segments.length; n > (mount?.segments.length ?? -1); n--) {
      const prefix = segments.slice(0, n);
      const children = this.childMountNames(prefix);
      if (children.length > 0 && !this.mounts.some((m) => m.segments.length === n && startsWith(prefix, m.segments))) {
        return n === segments.length ? { kind: 'synthetic', children } : { kind: 'absent' };
      }
    }
    return mount ? { kind: 'mount', mount, rest: segments.slice(mount.segments.length) } : { kind: 'absent' };
  }

  /** Names of mount points directly below `segments`, or of the synthetic directories leading to deeper ones. */
  childMountNames(segments: readonly string[]): string[] {
    const names = new Set<string>();
    for (const m of this.mounts) {
      if (m.segments.length > segments.length && startsWith(m.segments, segments)) names.add(m.segments[segments.length]!);
    }
    return [...names].sort();
  }

  /** The mount whose real directory holds `real` most specifically: it decides access to that file. */
  owner(real: string): Mount | undefined {
    let best: Mount | undefined;
    for (const m of this.mounts) {
      if (within(m.real, real) && (!best || m.real.length > best.real.length)) best = m;
    }
    return best;
  }

  /** The client's path for a real host path (for realpath), through the mount that owns it. */
  virtualPath(real: string): string | undefined {
    const m = this.owner(real);
    if (!m) return undefined;
    const rel = real === m.real ? '' : real.slice(m.real === '/' ? 1 : m.real.length + 1);
    return joinSegments([...m.segments, ...(rel ? rel.split('/') : [])]);
  }
}

/** Whether host path `p` is `root` or lies below it. */
export function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root === '/' ? '/' : root + '/');
}
