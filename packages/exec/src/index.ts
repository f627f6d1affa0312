export {
  type ExecResult,
  type RunOptions,
  type SshTarget,
  type Executor,
  DEFAULT_MAX_OUTPUT_BYTES,
} from "./types.js";
export { ExecError, type ExecErrorCode } from "./errors.js";
export { SshExecutor, type SshExecutorOptions, type SshStats } from "./ssh.js";
export { LocalExecutor, type LocalTarget } from "./local.js";
export { hostKeyFingerprint, normaliseFingerprint } from "./fingerprint.js";
export { shellQuote } from "./shell.js";
