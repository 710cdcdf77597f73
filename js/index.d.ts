/** An rrweb-compatible replay event: `{ type, data, timestamp }`. */
export interface ReplayEvent {
  type: number;
  data: unknown;
  timestamp: number;
}

/** Options of `start()`. Unknown keys and wrong types are rejected. */
export interface StartOptions {
  /** Mask the value of every input, textarea and select. Default `true`. Password and card fields are always masked. */
  maskAllInputs?: boolean;
  /** Mask every text node (`*` per non-blank character). Default `false`. */
  maskAllText?: boolean;
  /** Text inside elements matching this CSS selector is masked (like the `rw-mask` class). */
  maskTextSelector?: string;
  /** Elements matching this CSS selector are recorded as empty placeholders of their size (like `rw-block`). */
  blockSelector?: string;
  /** Input into fields matching this CSS selector is not recorded (like `rw-ignore`). */
  ignoreSelector?: string;
  /** Take a fresh full snapshot this often, in milliseconds (1000-86400000). */
  checkoutEveryNms?: number;
  /** Take a fresh full snapshot after this many incremental events (1-1000000). */
  checkoutEveryNth?: number;
  /** Log what rewind does to the console, prefixed `[rewind]`. Default `false`. */
  debug?: boolean;
  /** Called with each event as it is recorded. */
  emit?: (event: ReplayEvent) => void;
}

export function start(options?: StartOptions): Promise<void>;
export function stop(): Promise<void>;
export function takeFullSnapshot(): Promise<void>;
export function isRecording(): boolean;
