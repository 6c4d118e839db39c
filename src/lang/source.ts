// A source file as the compiler sees it: display path, text, and offset → line/column mapping.

export interface SourceFile {
  /** Path as shown in diagnostics (relative to the solution dir or cwd). */
  readonly path: string;
  readonly text: string;
  /** Offsets at which each line starts; computed once. */
  readonly lineStarts: readonly number[];
}

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (in UTF-16 code units, like editors). */
  readonly col: number;
}

/** A half-open range [start, end) of offsets inside one file. */
export interface Span {
  readonly file: SourceFile;
  readonly start: number;
  readonly end: number;
}

export function makeSource(path: string, text: string): SourceFile {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  }
  return { path, text, lineStarts };
}

export function positionOf(file: SourceFile, offset: number): Position {
  const starts = file.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - starts[lo]! + 1 };
}

/** The text of a 1-based line, without its line terminator. */
export function lineText(file: SourceFile, line: number): string {
  const start = file.lineStarts[line - 1] ?? file.text.length;
  const next = file.lineStarts[line];
  let end = next === undefined ? file.text.length : next - 1;
  if (end > start && file.text.charCodeAt(end - 1) === 13) end--;
  return file.text.slice(start, end);
}

/** Offset of a 1-based line/col pair (clamped into the file). */
export function offsetOf(file: SourceFile, line: number, col: number): number {
  const start = file.lineStarts[Math.max(0, Math.min(line - 1, file.lineStarts.length - 1))]!;
  return Math.min(file.text.length, start + Math.max(0, col - 1));
}

export function span(file: SourceFile, start: number, end: number = start): Span {
  return { file, start, end };
}
