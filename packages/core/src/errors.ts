/**
 * Typed errors with stable codes. Every package derives its own errors from {@link TxboxError} so
 * that the CLI can map any failure to an exit status and a JSON body without parsing messages.
 */
export interface TxboxErrorOptions {
  /** Extra structured fields (vmid, upid, httpStatus, file, key, …) shown in JSON output. */
  details?: Record<string, unknown>;
  /** Whether repeating the same operation may succeed (transient failures). */
  retryable?: boolean;
  /** A one-line hint that tells the user what to do about it. */
  hint?: string;
  cause?: unknown;
}

export class TxboxError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: TxboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }

  /** A JSON-safe view for `--json` output and audit records. */
  toJSON(): Record<string, unknown> {
    return {
      error: this.name,
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
      retryable: this.retryable,
    };
  }
}

/** A configuration file or value is invalid. `details.file`, `details.key`, `details.line` say where. */
export class ConfigError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_CONFIG", message, options);
  }
}

/** The user asked for something the command line cannot express (bad flag, missing argument). */
export class UsageError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_USAGE", message, options);
  }
}

/** An operation did not finish within its budget. */
export class TimeoutError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_TIMEOUT", message, { retryable: true, ...options });
  }
}

export function isTxboxError(value: unknown): value is TxboxError {
  return value instanceof TxboxError;
}

/** Best-effort message of an unknown thrown value, for logs and wrapping. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === "string" ? value : JSON.stringify(value);
}
