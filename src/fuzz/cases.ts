// Case files: one finding as JSON, enough to replay it (`citadel fuzz --replay`): the target, the
// channel the fuzzer called through, the messages (a prelude, usually empty, then the one that
// shows the problem), what the kernel should have done with it and what went wrong.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { messageFromJson, messageToJson, type FuzzMessage, type MessageJson } from './message.ts';
import type { FindingKind } from './session.ts';
import type { Route } from './target.ts';

export const CASE_FORMAT = 'citadel-fuzz-case/1';

export interface FuzzCase {
  readonly solution: string;
  readonly target: string;
  readonly via: Route;
  readonly kind: FindingKind;
  /** The entity at fault (`kernel` for kernel findings). */
  readonly entity: string;
  /** `endpoint.Method` the message was generated for. */
  readonly method: string;
  readonly message: FuzzMessage;
  /** Messages sent first, in order (a stateful finding needs them). */
  readonly prelude: readonly FuzzMessage[];
  /** Send the prelude and the message all at once, none waiting for an answer (calls in flight together). */
  readonly concurrent: boolean;
  /** What the kernel should do with the message (from the IDL alone). */
  readonly expected: string;
  /** What went wrong. */
  readonly observed: string;
  /** Whether a fresh kernel reproduced the minimised case. */
  readonly reproduced: boolean;
  readonly minimised: { readonly fromBytes: number; readonly toBytes: number; readonly fromMessages: number; readonly attempts: number };
  readonly seed: number;
}

interface CaseJson extends MessageJson {
  readonly format: string;
  readonly solution: string;
  readonly target: string;
  readonly via: Route;
  readonly kind: FindingKind;
  readonly entity: string;
  readonly endpointMethod: string;
  readonly prelude: readonly MessageJson[];
  readonly concurrent?: boolean;
  readonly expected: string;
  readonly observed: string;
  readonly reproduced: boolean;
  readonly minimised: FuzzCase['minimised'];
  readonly seed: number;
}

const KINDS: readonly FindingKind[] = ['crash', 'hang', 'kernel-error', 'policy-bypass', 'invalid-delivered', 'codec-mismatch', 'invalid-response', 'memory-growth'];

export function caseToJson(c: FuzzCase): CaseJson {
  return {
    format: CASE_FORMAT,
    solution: c.solution,
    target: c.target,
    via: c.via,
    kind: c.kind,
    entity: c.entity,
    endpointMethod: c.method,
    ...messageToJson(c.message),
    prelude: c.prelude.map(messageToJson),
    ...(c.concurrent ? { concurrent: true } : {}),
    expected: c.expected,
    observed: c.observed,
    reproduced: c.reproduced,
    minimised: c.minimised,
    seed: c.seed,
  };
}

/** Reads and checks a case file; throws an Error saying what is wrong with it. */
export function readCase(file: string): FuzzCase {
  let j: CaseJson;
  try {
    j = JSON.parse(readFileSync(file, 'utf8')) as CaseJson;
  } catch (err) {
    throw new Error(`cannot read case file ${file}: ${(err as Error).message}`);
  }
  if (typeof j !== 'object' || j === null || j.format !== CASE_FORMAT) throw new Error(`${file} is not a citadel fuzz case (format "${CASE_FORMAT}")`);
  if (typeof j.target !== 'string') throw new Error(`${file}: "target" must be a task name`);
  const via = j.via as Partial<Route> | undefined;
  if (!via || typeof via.client !== 'string' || typeof via.channel !== 'string' || !Number.isInteger(via.handle)) throw new Error(`${file}: "via" must be { client, channel, handle }`);
  if (!KINDS.includes(j.kind)) throw new Error(`${file}: unknown finding kind ${JSON.stringify(j.kind)}`);
  if (!Array.isArray(j.prelude ?? [])) throw new Error(`${file}: "prelude" must be a list of messages`);
  return {
    solution: String(j.solution ?? ''),
    target: j.target,
    via: { client: via.client, channel: via.channel, handle: via.handle! },
    kind: j.kind,
    entity: typeof j.entity === 'string' ? j.entity : j.target,
    method: String(j.endpointMethod ?? ''),
    message: messageFromJson(j, file),
    prelude: (j.prelude ?? []).map((m, i) => messageFromJson(m, `${file}: prelude[${i}]`)),
    concurrent: j.concurrent === true,
    expected: String(j.expected ?? ''),
    observed: String(j.observed ?? ''),
    reproduced: j.reproduced === true,
    minimised: j.minimised ?? { fromBytes: 0, toBytes: 0, fromMessages: 0, attempts: 0 },
    seed: Number(j.seed ?? 0),
  };
}

/** Writes `c` as `<dir>/case-<n>.json`, numbering after any case files already there; returns the path. */
export function writeCase(dir: string, c: FuzzCase): string {
  mkdirSync(dir, { recursive: true });
  const taken = readdirSync(dir).map((f) => /^case-(\d+)\.json$/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
  const file = path.join(dir, `case-${Math.max(0, ...taken) + 1}.json`);
  writeFileSync(file, JSON.stringify(caseToJson(c), null, 2) + '\n');
  return file;
}
