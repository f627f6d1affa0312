import { TxboxError } from "@txbox/core";

/**
 * An error answered the PVE way: the HTTP status, the message whose first line becomes the reason
 * phrase, and for parameter errors the `errors` map. Handlers throw it; plain `Error`s become 500.
 */
export class ApiError extends TxboxError {
  readonly status: number;
  readonly errors: Record<string, string> | undefined;

  constructor(status: number, message: string, errors?: Record<string, string>) {
    super("E_PVE_API", message.endsWith("\n") ? message : `${message}\n`, {
      details: { httpStatus: status, ...(errors === undefined ? {} : { errors }) },
    });
    this.status = status;
    this.errors = errors;
  }
}

/** `400 Parameter verification failed.` with PVE's `errors` map. */
export function paramError(errors: Record<string, string>): ApiError {
  return new ApiError(400, "Parameter verification failed.", errors);
}

/** A handler's plain failure (`die "...\n"` in PVE): 500 with the message. */
export function fail(message: string): ApiError {
  return new ApiError(500, message);
}
