// The text `citadel inspect` prints for a verified image: identity, signer, blobs, and the builder's
// free-form `meta` (and `entities`) rendered generically as YAML-like key/value lines and lists.
import { quote } from './quote.ts';
import type { VerifiedImage } from './verify.ts';

export function describeImage(image: Pick<VerifiedImage, 'manifest' | 'measurement'>): string {
  const m = image.manifest;
  const total = m.blobs.reduce((n, b) => n + b.size, 0);
  const out = [
    `solution:       ${show(m.solution)}`,
    `version:        ${show(m.version)}`,
    `rollback index: ${m.rollbackIndex}`,
    `signer:         ${m.signer}`,
    `format:         ${m.format}`,
    `measurement:    ${image.measurement}`,
    `blobs:          ${m.blobs.length} (${total} bytes)`,
  ];
  const names = m.blobs.map(b => show(b.name));
  const nameWidth = Math.max(0, ...names.map(n => n.length));
  const sizeWidth = Math.max(0, ...m.blobs.map(b => String(b.size).length));
  m.blobs.forEach((b, i) => {
    out.push(`  ${b.kind.padEnd(8)}  ${names[i]!.padEnd(nameWidth)}  ${String(b.size).padStart(sizeWidth)} B  sha256 ${b.sha256}`);
  });
  for (const [label, value] of [['entities', m.entities], ['meta', m.meta]] as const) {
    if (value === undefined) continue;
    if (isNonEmptyContainer(value)) {
      out.push(`${label}:`);
      renderContainer(value, '  ', out);
    } else {
      out.push(`${label}: ${scalar(value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function renderContainer(value: object, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isNonEmptyContainer(item)) {
        // YAML style: the item's first line shares the "- " marker.
        const sub: string[] = [];
        renderContainer(item, `${indent}  `, sub);
        sub[0] = `${indent}- ${sub[0]!.slice(indent.length + 2)}`;
        out.push(...sub);
      } else {
        out.push(`${indent}- ${scalar(item)}`);
      }
    }
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (isNonEmptyContainer(v)) {
      out.push(`${indent}${show(key)}:`);
      renderContainer(v, `${indent}  `, out);
    } else {
      out.push(`${indent}${show(key)}: ${scalar(v)}`);
    }
  }
}

function isNonEmptyContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return show(v);
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return String(v);
}

/** Plain when printable ASCII without edge spaces, quoted and escaped otherwise (image text is never trusted). */
function show(s: string): string {
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(s) && !s.startsWith('"') ? s : quote(s, 1000);
}
