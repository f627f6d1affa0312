import { ProxmoxError } from "./errors.js";
import { Timeout } from "./errors.js";

/** True for every error of this package (including {@link Timeout}). */
export function isProxmoxError(value: unknown): value is ProxmoxError | Timeout {
  return value instanceof ProxmoxError || value instanceof Timeout;
}
