// Text encodings for citadel/fs (entities have no Buffer): what Node's fs accepts as `encoding`,
// and the Uint8Array subclass readFile returns, whose toString() decodes like a Buffer's.

export type BufferEncoding = 'utf8' | 'utf-8' | 'ascii' | 'latin1' | 'binary' | 'base64' | 'base64url' | 'hex' | 'utf16le' | 'utf-16le' | 'ucs2' | 'ucs-2';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i] as const).concat([['-', 62], ['_', 63]]));
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function normalize(encoding: string | null | undefined): string {
  const e = (encoding ?? 'utf8').toLowerCase();
  switch (e) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'latin1': case 'binary': return 'latin1';
    case 'utf16le': case 'utf-16le': case 'ucs2': case 'ucs-2': return 'utf16le';
    case 'ascii': case 'base64': case 'base64url': case 'hex': return e;
    default: throw Object.assign(new TypeError(`The argument 'encoding' is invalid encoding. Received '${encoding}'`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
}

/** Throws Node's error for an encoding it does not know. */
export function checkEncoding(encoding: string | null | undefined): void {
  if (encoding !== null && encoding !== undefined) normalize(encoding);
}

/** The bytes of `text` in `encoding` (utf8 by default), as Buffer.from(text, encoding). */
export function encodeText(text: string, encoding?: string | null): Uint8Array {
  switch (normalize(encoding)) {
    case 'utf8': return utf8Encoder.encode(text);
    case 'latin1': case 'ascii': return Uint8Array.from({ length: text.length }, (_, i) => text.charCodeAt(i) & 0xff); // by UTF-16 unit, as Buffer
    case 'utf16le': {
      const out = new Uint8Array(text.length * 2);
      for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); out[2 * i] = c & 0xff; out[2 * i + 1] = c >> 8; }
      return out;
    }
    case 'hex': {
      const n = Math.floor(text.length / 2);
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const pair = text.slice(2 * i, 2 * i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(pair)) break; // as Buffer: stop at the first non-hex pair
        out.push(Number.parseInt(pair, 16));
      }
      return Uint8Array.from(out);
    }
    default: { // base64, base64url: lenient, as Buffer (unknown characters are skipped)
      const out: number[] = [];
      let bits = 0;
      let acc = 0;
      for (const c of text) {
        const v = B64_INDEX.get(c);
        if (v === undefined) { if (c === '=') break; continue; }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
      }
      return Uint8Array.from(out);
    }
  }
}

/** `bytes` as text in `encoding`, as buffer.toString(encoding). */
export function decodeText(bytes: Uint8Array, encoding?: string | null): string {
  const e = normalize(encoding);
  switch (e) {
    case 'utf8': return utf8Decoder.decode(bytes);
    case 'latin1': { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return s; }
    case 'ascii': { let s = ''; for (const b of bytes) s += String.fromCharCode(b & 0x7f); return s; }
    case 'utf16le': { let s = ''; for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8)); return s; }
    case 'hex': { let s = ''; for (const b of bytes) s += b.toString(16).padStart(2, '0'); return s; }
    default: {
      let s = '';
      for (let i = 0; i < bytes.length; i += 3) {
        const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
        const chars = [B64[(n >> 18) & 63], B64[(n >> 12) & 63], B64[(n >> 6) & 63], B64[n & 63]];
        const keep = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
        s += chars.slice(0, keep).join('') + (e === 'base64' ? '='.repeat(4 - keep) : '');
      }
      return e === 'base64url' ? s.replaceAll('+', '-').replaceAll('/', '_') : s;
    }
  }
}

/**
 * What readFile returns without an encoding: a Uint8Array (entities have no Buffer) whose
 * toString(encoding = 'utf8', start, end) decodes like Buffer's, so `String(await readFile(p))`
 * and `JSON.parse((await readFile(p)).toString())` work as in Node.
 */
export class FileData extends Uint8Array {
  override toString(encoding?: BufferEncoding, start?: number, end?: number): string {
    return decodeText(this.subarray(start ?? 0, end ?? this.length), encoding);
  }

  /** Wraps bytes without copying. */
  static wrap(bytes: Uint8Array): FileData {
    return new FileData(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  }
}

/** Bytes of any data Node's write functions take: string (in `encoding`), TypedArray, DataView. */
export function toBytes(data: unknown, encoding?: string | null): Uint8Array {
  if (typeof data === 'string') return encodeText(data, encoding);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw Object.assign(new TypeError(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? 'null' : typeof data}`), { code: 'ERR_INVALID_ARG_TYPE' });
}
