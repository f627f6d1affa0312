export {
  type ExecResult,
  type RunOptions,
  type SshTarget,
  type SshHop,
  type Executor,
  type PreparedRun,
  DEFAULT_MAX_OUTPUT_BYTES,
} from "./types.js";
export { ExecError, type ExecErrorCode } from "./errors.js";
export { SshExecutor, type SshExecutorOptions, type SshStats } from "./ssh.js";
export { LocalExecutor, type LocalTarget } from "./local.js";
export { hostKeyFingerprint, normaliseFingerprint } from "./fingerprint.js";
export { shellQuote } from "./shell.js";
export { loadPrivateKey, type PassphraseSource } from "./keys.js";
export {
  parseSshConfig,
  optionsFor,
  parseJumpSpec,
  expandTokens,
  SshConfigSyntaxError,
  type SshConfig,
  type SshHostOptions,
  type TokenValues,
} from "./ssh-config.js";
export { parseKnownHosts, checkKnownHost, type KnownHostEntry } from "./known-hosts.js";
