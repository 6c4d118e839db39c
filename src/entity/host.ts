// What the sandbox bootstrap hands an entity: its boot facts and a few hardened functions. This
// is the entity's only authority; everything else is IPC through the kernel.
import type { HostFileOps } from './host-file-ops.ts';

/** A channel the entity owns as a client: its handle and the server's endpoints (name → RIID). */
export interface ChannelInfo {
  readonly handle: number;
  readonly server: string;
  readonly serverClass: string;
  readonly endpoints: Readonly<Record<string, number>>;
}

export interface BootInfo {
  readonly task: string;
  readonly className: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Client channels by id (init.yaml `connections`). */
  readonly channels: Readonly<Record<string, ChannelInfo>>;
  /** This entity's own endpoints (qualified name → RIID), empty for a pure client. */
  readonly endpoints: Readonly<Record<string, number>>;
}

/** Handle 0 of every entity reaches the kernel (class kl.core.Core), through the policy like any call. */
export const KERNEL_HANDLE = 0;

/** Rights a handle carries; a handle passed on keeps some of its rights, never gains any. */
export const Rights = {
  /** Make calls through the channel. */
  call: 1,
  /** Pass the handle on to another entity in a message. */
  transfer: 2,
} as const;
export const ALL_RIGHTS = Rights.call | Rights.transfer;

export interface HostInterface {
  readonly boot: BootInfo;
  /** Sends one frame (transferred: the buffer is detached afterwards). */
  send(frame: ArrayBuffer): void;
  /** Registers the one receiver of incoming frames. */
  receive(handler: (frame: ArrayBuffer) => void): void;
  /** Keeps the entity alive while true (calls pending or serving); when false it may end once idle. */
  keepAlive(on: boolean): void;
  setTimer(ms: number, repeat: boolean, callback: () => void): number;
  clearTimer(id: number): void;
  /** Ends the entity now with an exit code. */
  exit(code: number): never;
  /** Host capabilities a process-tier driver was granted (absent in the worker tier). */
  readonly fs?: HostFs;
  /** node:crypto primitives for process-tier entities (absent in the worker tier). */
  readonly crypto?: HostCrypto;
}

/** File access of a process-tier entity, confined by the OS permission model to its `resources`. */
export interface HostFs extends HostFileOps {
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Creates or replaces a file. `mode` (permission bits, e.g. 0o600) applies when it is created;
   * `sync: true` writes through (O_SYNC): the data is on stable storage when the promise resolves.
   * (fsync itself is unavailable: Node's permission model disables it in the process tier.)
   */
  writeFile(path: string, data: Uint8Array, options?: { readonly mode?: number; readonly sync?: boolean }): Promise<void>;
  appendFile(path: string, data: Uint8Array): Promise<void>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<{ size: number; isFile: boolean; isDirectory: boolean; mtimeMs: number }>;
  mkdir(path: string): Promise<void>;
  rm(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

/**
 * Cryptographic primitives over node:crypto (OpenSSL) for a process-tier entity. Pure functions of
 * their arguments: they give no authority, and keys and randomness stay the entity's own (an
 * Ed25519 private key is a 32-byte seed, e.g. from `randomBytes(32)`).
 */
export interface HostCrypto {
  sha256(data: Uint8Array): Uint8Array;
  /** The raw 32-byte public key of an Ed25519 private key given as its 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** A 64-byte Ed25519 signature of `data`. */
  ed25519Sign(seed: Uint8Array, data: Uint8Array): Uint8Array;
  ed25519Verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
  /** RFC 5869 HKDF with SHA-256. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** AES-256-GCM with a 96-bit nonce: ciphertext followed by the 16-byte tag. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** The plaintext, or undefined when the tag does not verify (nothing of the plaintext is released then). */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined;
}
