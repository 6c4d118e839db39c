// What the sandbox bootstrap hands an entity: its boot facts and a few hardened functions. This
// is the entity's only authority; everything else is IPC through the kernel.

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
}

/** File access of a process-tier entity, confined by the OS permission model to its `resources`. */
export interface HostFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  appendFile(path: string, data: Uint8Array): Promise<void>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<{ size: number; isFile: boolean; isDirectory: boolean; mtimeMs: number }>;
  mkdir(path: string): Promise<void>;
  rm(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}
