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
  /** Log what rewind does to the console, prefixed `[rewind]`. Default `false`. */
  debug?: boolean;
  /** Called with each event as it is recorded. */
  emit?: (event: ReplayEvent) => void;
}

export function start(options?: StartOptions): Promise<void>;
export function stop(): Promise<void>;
export function takeFullSnapshot(): Promise<void>;
export function isRecording(): boolean;
