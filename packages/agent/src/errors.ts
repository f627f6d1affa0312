import { TxboxError, type TxboxErrorOptions } from "@txbox/core";

/**
 * A model server failed or answered something the client cannot use. Codes:
 * `E_MODEL_HTTP` (a non-2xx status; `details.httpStatus`), `E_MODEL_UNREACHABLE` (network error or
 * per-request timeout after all retries), `E_MODEL_RESPONSE` (the body is not a chat completion).
 */
export class ModelError extends TxboxError {
  constructor(
    code: "E_MODEL_HTTP" | "E_MODEL_UNREACHABLE" | "E_MODEL_RESPONSE",
    message: string,
    options: TxboxErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** A scripted or replayed model is malformed or ran out of steps (`E_SCRIPT`). */
export class ScriptError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_SCRIPT", message, options);
  }
}

/**
 * `txbox init agent` cannot set an agent up. Codes: `E_AGENT_CONFIG` (an existing configuration
 * file cannot be read as its format; `details.path`), `E_AGENT_CONFLICT` (a user setting
 * contradicts txbox's and `--force` was not given; `details.conflicts`).
 */
export class AgentInitError extends TxboxError {
  constructor(
    code: "E_AGENT_CONFIG" | "E_AGENT_CONFLICT",
    message: string,
    options: TxboxErrorOptions = {},
  ) {
    super(code, message, options);
  }
}
