// The kernel's view of one running entity, whatever its tier: frames in and out, and an end.

export interface SandboxExit {
  /** Exit code (0 = the entity ended normally). */
  readonly code: number;
  /** Why the sandbox ended when it did not end by itself (watchdog, memory, protocol abuse, crash). */
  readonly reason?: string;
}

export interface SandboxEvents {
  /** A frame from the entity: a bare ArrayBuffer, already type-checked. */
  onFrame(frame: ArrayBuffer): void;
  onExit(exit: SandboxExit): void;
}

export interface Sandbox {
  /** Delivers a frame (transferred where the transport allows). */
  send(frame: ArrayBuffer): void;
  /** Stops the entity; `reason` is reported as why. Resolves once it has ended. */
  terminate(reason?: string): Promise<void>;
}

export interface SandboxLimits {
  /** Heap limit. */
  readonly memoryMiB: number;
  /** Longest the entity may block its event loop before it is terminated. */
  readonly blockMs: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { memoryMiB: 64, blockMs: 2000 };
