// Diagnostics are values, collected per pass and printed together as `path:line:col: error: …`.
import { lineText, originalSpan, positionOf, type Span } from './source.ts';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
}

/** Collects diagnostics for one compilation; passes push into it and keep going. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  error(span: Span, message: string): void {
    this.items.push({ severity: 'error', message, span });
  }

  warning(span: Span, message: string): void {
    this.items.push({ severity: 'warning', message, span });
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Formats one diagnostic: the location line, then the source line and a caret under the span. */
export function formatDiagnostic(d: Diagnostic): string {
  const { file, start, end } = originalSpan(d.span);
  const pos = positionOf(file, start);
  const header = `${file.path}:${pos.line}:${pos.col}: ${d.severity}: ${d.message}`;
  const source = lineText(file, pos.line);
  if (file.text.length === 0) return header;
  const endPos = positionOf(file, Math.max(start, end - 1));
  const width = endPos.line === pos.line ? Math.max(1, end - start) : 1;
  // Keep tabs in the caret line so the caret stays aligned under tab-indented sources.
  const pad = source.slice(0, pos.col - 1).replace(/[^\t]/g, ' ');
  return `${header}\n${source}\n${pad}^${'~'.repeat(Math.max(0, width - 1))}`;
}

/** Sorts by file then offset so output is deterministic regardless of pass order. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => originalSpan(d.span);
  return [...ds].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x.file.path === y.file.path ? x.start - y.start : x.file.path < y.file.path ? -1 : 1;
  });
}
