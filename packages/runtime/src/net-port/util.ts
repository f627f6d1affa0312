import { connect } from "node:net";
import { AlreadyExistsError } from "@txbox/net";
import { isProxmoxError, NotFound } from "@txbox/proxmox";

const EXISTS = /already (?:defined|exists?)|config file already exists/i;

/** A create that finds its object already there becomes {@link AlreadyExistsError}. */
export async function create(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (isProxmoxError(error) && EXISTS.test(error.message))
      throw new AlreadyExistsError(error.message, { cause: error });
    throw error;
  }
}

/** A delete of something missing is success. */
export async function missingIsOk(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof NotFound)) throw error;
  }
}

/** `{ signal }` when the caller gave one: the client's options take no `undefined` signal. */
export const withSignal = (signal: AbortSignal | undefined): { signal?: AbortSignal } =>
  signal ? { signal } : {};

/** Resolve when a TCP connection to `host:port` succeeds once; reject on error or after `ms`. */
export function tcpProbe(host: string, port: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect timed out after ${ms} ms`)),
      ms,
    );
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
