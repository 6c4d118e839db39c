// The one error type image handling throws. The kernel and CLI branch on `code`; the message names the
// region and the values that failed, because an opaque "invalid image" helps no one fix anything.

export type ImageErrorCode =
  | 'BadMagic'
  | 'BadVersion'
  | 'Truncated'
  | 'TooLarge'
  | 'BadManifest'
  | 'NotCanonical'
  | 'UntrustedSigner'
  | 'BadSignature'
  | 'BlobHash'
  | 'BlobLayout'
  | 'Rollback'
  | 'StateCorrupt'
  | 'BadKey';

export class ImageError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string) {
    super(message);
    this.name = 'ImageError';
    this.code = code;
  }
}
