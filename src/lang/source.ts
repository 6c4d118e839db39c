// A source file as the compiler sees it: display path, text, and offset → line/column mapping.

export interface SourceFile {
  /** Path as shown in diagnostics (relative to the solution dir or cwd). */
  readonly path: string;
  readonly text: string;
  /** Offsets at which each line starts; computed once. */
  readonly lineStarts: readonly number[];
  /** Set when this text was rendered from a template: diagnostics point into the template. */
  readonly origin?: SourceOrigin;
}

/** Maps offsets of rendered text back to the template it came from. */
export interface SourceOrigin {
  readonly file: SourceFile;
  /** Sorted by `out`: text at out..out+length came from orig (copied when `copied`, else substituted). */
  readonly segments: readonly { readonly out: number; readonly orig: number; readonly length: number; readonly copied: boolean; readonly origLength?: number }[];
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

export function makeSource(path: string, text: string, origin?: SourceOrigin): SourceFile {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  }
  return origin ? { path, text, lineStarts, origin } : { path, text, lineStarts };
}

/** The span in the original template for a span of rendered text (identity for plain files). */
export function originalSpan(s: Span): Span {
  const origin = s.file.origin;
  if (!origin) return s;
  // `end` maps to the end of a substituted placeholder, so a caret covers all of `@NAME@`.
  const map = (offset: number, isEnd = false): number => {
    const segs = origin.segments;
    let lo = 0;
    let hi = segs.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid]!.out <= offset) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0) return 0;
    const seg = segs[best]!;
    const delta = offset - seg.out;
    if (seg.copied) return seg.orig + Math.min(delta, seg.length) + (isEnd ? 1 : 0);
    return isEnd ? seg.orig + (seg.origLength ?? 1) : seg.orig;
  };
  const start = map(s.start);
  const end = Math.max(start, s.end > s.start ? map(s.end - 1, true) : start);
  return { file: origin.file, start, end };
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
