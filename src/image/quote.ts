// Quoting for strings that come out of an image (blob names, solution, meta): JSON-style, with every
// control, bidi and line-separator character escaped so a hostile name cannot forge log lines.

// C0/C1 controls, DEL, ALM, zero-width and bidi marks, line/paragraph separators, BOM, lone surrogates.
const UNSAFE = /["\\\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|[\ud800-\udfff]/gu;

export function quote(s: string, maxLength = 200): string {
  const cut = s.length > maxLength ? s.slice(0, maxLength) : s;
  const escaped = cut.replace(UNSAFE, c =>
    c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"${cut === s ? '' : `…(${s.length} chars)`}`;
}
