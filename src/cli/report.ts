// Printing diagnostics the same way for every command: each with its caret, then a count.
import { formatDiagnostic, type Diagnostic } from '../lang/diagnostics.ts';

export function printDiagnostics(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of diagnostics) {
    process.stderr.write(formatDiagnostic(d) + '\n');
    if (d.severity === 'error') errors++;
    else if (d.severity === 'warning') warnings++;
  }
  return { errors, warnings };
}

export function plural(n: number, word: string): string {
  if (n === 1) return `${n} ${word}`;
  return `${n} ${/(s|sh|ch|x)$/.test(word) ? word + 'es' : word + 's'}`;
}
