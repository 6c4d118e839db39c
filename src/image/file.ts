// Reading an image file for `citadel run`/`inspect`: the size is checked before a byte is read, so a huge
// or endless file cannot exhaust memory. File-system errors (ENOENT, EACCES) propagate unchanged.
import { readFileSync, statSync } from 'node:fs';
import { ImageError } from './errors.ts';
import { MAX_IMAGE_BYTES } from './format.ts';

export function readImageFile(path: string): Uint8Array {
  const stat = statSync(path);
  if (!stat.isFile()) throw new ImageError('BadMagic', `${path} is not a regular file`);
  if (stat.size > MAX_IMAGE_BYTES) throw new ImageError('TooLarge', `${path} is ${stat.size} bytes, above the ${MAX_IMAGE_BYTES}-byte image cap`);
  // verifyImage re-checks the length, in case the file grew between stat and read.
  return readFileSync(path);
}
