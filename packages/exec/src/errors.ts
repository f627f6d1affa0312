import { TxboxError, type TxboxErrorOptions } from "@txbox/core";

/** Stable codes of {@link ExecError}. */
export type ExecErrorCode =
  "E_UNREACHABLE" | "E_SSH_AUTH" | "E_SSH_KEY" | "E_SSH_HOSTKEY" | "E_EXEC";

/**
 * A command could not be run at all (as opposed to running and failing, which is an
 * {@link ExecResult} with a non-zero `exitCode`). `details.target` names the guest.
 */
export class ExecError extends TxboxError {
  constructor(code: ExecErrorCode, message: string, options: TxboxErrorOptions = {}) {
    super(code, message, { retryable: code === "E_UNREACHABLE", ...options });
  }
}
