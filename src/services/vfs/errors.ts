// Errors the VFS driver answers with: an errno (the IDL's `code`) and a reason for the refusals
// that are the driver's own decisions. Host errors keep only their errno: their messages name
// host paths, which a client must never learn.
import * as F from './gen/kl.vfs.Files.idl.ts';

export class VfsError extends Error {
  readonly errno: number;
  /** Sent to the client: empty for plain host errors, else why the driver refused. */
  readonly reason: string;

  constructor(errno: number, reason = '') {
    super(reason || `errno ${errno}`);
    this.name = 'VfsError';
    this.errno = errno;
    this.reason = reason;
  }
}

export const OUTSIDE_GRANT = 'outside the driver\'s grant';

/** Host error codes the driver passes on; anything else becomes EIO. */
const HOST_CODES: Readonly<Record<string, number>> = {
  EPERM: F.EPERM, ENOENT: F.ENOENT, EIO: F.EIO, EBADF: F.EBADF, EACCES: F.EACCES, EBUSY: F.EBUSY,
  EEXIST: F.EEXIST, EXDEV: F.EXDEV, ENOTDIR: F.ENOTDIR, EISDIR: F.EISDIR, EINVAL: F.EINVAL,
  EMFILE: F.EMFILE, ENFILE: F.EMFILE, EFBIG: F.EFBIG, ENOSPC: F.ENOSPC, EDQUOT: F.ENOSPC, EROFS: F.EROFS,
  ENAMETOOLONG: F.ENAMETOOLONG, ENOTEMPTY: F.ENOTEMPTY, ELOOP: F.ELOOP,
};

/** Any failure as a VfsError, without host details. */
export function toVfsError(err: unknown): VfsError {
  if (err instanceof VfsError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    if (Object.hasOwn(HOST_CODES, code)) return new VfsError(HOST_CODES[code]!);
    // The OS permission model refused: the driver's own grant (resources.fs) does not cover it.
    if (code === 'ERR_ACCESS_DENIED') return new VfsError(F.EACCES, OUTSIDE_GRANT);
    // A FIFO or device opened without blocking: nothing the driver serves.
    if (code === 'ENXIO' || code === 'ENODEV' || code === 'EAGAIN') return new VfsError(F.EACCES, 'not a regular file or directory');
  }
  // The host file facade refuses paths outside the grant with a plain error naming them.
  if (err instanceof Error && /outside the paths this entity may use/.test(err.message)) return new VfsError(F.EACCES, OUTSIDE_GRANT);
  if (err instanceof TypeError || err instanceof RangeError) return new VfsError(F.EINVAL);
  return new VfsError(F.EIO);
}

/** Error params for the wire. */
export function errorParams(err: unknown): { code: number; reason: string } {
  const e = toVfsError(err);
  return { code: e.errno, reason: e.reason.slice(0, F.MaxReason) };
}
