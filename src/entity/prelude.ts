// Injected at the top of every entity bundle: gives the compartment a console (kernel log over
// IPC) and timers, the only globals entity code gets beyond standard JavaScript.
import { current } from './index.ts';

const LEVELS = { debug: 0, log: 1, info: 1, warn: 2, error: 3 } as const;

function show(value: unknown, depth = 0): string {
  if (typeof value === 'string') return depth === 0 ? value : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value === null || typeof value !== 'object') return String(value);
  if (depth > 3) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) return `[${value.slice(0, 50).map((v) => show(v, depth + 1)).join(', ')}${value.length > 50 ? ', …' : ''}]`;
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  const entries = Object.entries(value).slice(0, 50).map(([k, v]) => `${k}: ${show(v, depth + 1)}`);
  return `{ ${entries.join(', ')} }`;
}

const host = current().host;
const makeLog = (level: number) => (...items: unknown[]) => current().log(level, items.map((i) => show(i)).join(' '));
const console = Object.fromEntries(Object.entries(LEVELS).map(([name, level]) => [name, makeLog(level)]));

Object.assign(globalThis, {
  console,
  setTimeout: (callback: (...a: unknown[]) => void, ms = 0, ...rest: unknown[]) => host.setTimer(Number(ms) || 0, false, () => callback(...rest)),
  setInterval: (callback: (...a: unknown[]) => void, ms = 0, ...rest: unknown[]) => host.setTimer(Number(ms) || 0, true, () => callback(...rest)),
  clearTimeout: (id: number) => host.clearTimer(id),
  clearInterval: (id: number) => host.clearTimer(id),
});
