// What a fuzz run shows: a progress bar while it runs (one line rewritten in place on a terminal,
// a plain line every few seconds otherwise), then a table per target — per method, messages sent,
// delivered, refused as invalid, denied by policy, and the findings — and the findings themselves.
import type { FindingKind } from './session.ts';

export interface MethodStats {
  sent: number;
  delivered: number;
  refused: number;
  denied: number;
  /** Malformed frames the kernel drops (and counts against the sender) without an answer. */
  dropped: number;
  /** Anything else: Busy, NotConnected, a server fault. */
  other: number;
  crashes: number;
  hangs: number;
  bypasses: number;
  /** Findings of the other kinds (kernel errors, invalid deliveries, codec mismatches, …). */
  errors: number;
}

export const emptyStats = (): MethodStats => ({ sent: 0, delivered: 0, refused: 0, denied: 0, dropped: 0, other: 0, crashes: 0, hangs: 0, bypasses: 0, errors: 0 });

export function countFinding(s: MethodStats, kind: FindingKind): void {
  if (kind === 'crash') s.crashes++;
  else if (kind === 'hang') s.hangs++;
  else if (kind === 'policy-bypass') s.bypasses++;
  else s.errors++;
}

export interface ProgressState {
  readonly target: string;
  readonly elapsedMs: number;
  readonly totalMs: number;
  readonly messages: number;
  readonly findings: number;
  readonly note?: string;
}

export interface Progress {
  update(state: ProgressState): void;
  /** Clears the line (TTY) before other output. */
  done(): void;
}

/** A progress display on `stream`: a bar updated in place on a TTY, a plain line every `everyMs` otherwise. */
export function makeProgress(stream: NodeJS.WriteStream, everyMs = 2000): Progress {
  const tty = stream.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(s) {
      const now = Date.now();
      if (now - last < (tty ? 100 : everyMs)) return;
      last = now;
      const frac = s.totalMs > 0 ? Math.min(1, s.elapsedMs / s.totalMs) : 1;
      const rate = s.elapsedMs > 0 ? Math.round((s.messages * 1000) / s.elapsedMs) : 0;
      const text = `${(s.elapsedMs / 1000).toFixed(1)}/${(s.totalMs / 1000).toFixed(1)} s  ${s.messages} messages (${rate}/s)  ${s.findings} finding${s.findings === 1 ? '' : 's'}  ${s.target}${s.note ? `  ${s.note}` : ''}`;
      if (tty) {
        const width = 24, full = Math.round(frac * width);
        const line = `fuzz [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${text}`;
        stream.write(`\r${line.slice(0, Math.max(20, (stream.columns || 120) - 1))}\x1b[K`);
        shown = true;
      } else {
        stream.write(`fuzz: ${Math.round(frac * 100)}% ${text}\n`);
      }
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

const COLUMNS: readonly [string, keyof MethodStats][] = [
  ['sent', 'sent'], ['delivered', 'delivered'], ['refused', 'refused'], ['denied', 'denied'], ['dropped', 'dropped'], ['other', 'other'],
  ['crashes', 'crashes'], ['hangs', 'hangs'], ['bypasses', 'bypasses'], ['errors', 'errors'],
];

/** The per-method table of one target, with a total row. */
export function formatTable(stats: ReadonlyMap<string, MethodStats>): string {
  const rows: [string, MethodStats][] = [...stats];
  const total = emptyStats();
  for (const [, s] of rows) for (const [, k] of COLUMNS) total[k] += s[k];
  rows.push(['total', total]);
  const first = Math.max('method'.length, ...rows.map(([n]) => n.length));
  const widths = COLUMNS.map(([h, k]) => Math.max(h.length, ...rows.map(([, s]) => String(s[k]).length)));
  const line = (name: string, cells: string[]) => `${name.padEnd(first)}  ${cells.map((c, i) => c.padStart(widths[i]!)).join('  ')}`;
  const out = [line('method', COLUMNS.map(([h]) => h)), line('-'.repeat(first), widths.map((w) => '-'.repeat(w)))];
  rows.forEach(([name, s], i) => {
    if (i === rows.length - 1) out.push(line('-'.repeat(first), widths.map((w) => '-'.repeat(w))));
    out.push(line(name, COLUMNS.map(([, k]) => String(s[k]))));
  });
  return out.join('\n');
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
