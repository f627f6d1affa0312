import {
  ApiError,
  AuthFailed,
  Locked,
  NotFound,
  Unsupported,
  type ProxmoxError,
  type ProxmoxErrorContext,
} from "./errors.js";

/** `VM is locked (snapshot)` / `CT is locked (backup)` → the lock name. */
export function lockOf(message: string): string | undefined {
  return /\b(?:VM|CT) is locked \(([^)]+)\)/.exec(message)?.[1];
}

const NOT_FOUND =
  /does not exist|not found|no such (?:vm|ct|container|snapshot|zone|vnet|subnet|controller|rule)|unable to find/i;
/**
 * PVE's config-file lock contention, the SDN cluster lock (`cfs-lock 'domain-sdn' error: got lock
 * request timeout`) and worker start failures: the lock was not had, the effect did not happen —
 * except when a task met the config lock in a late phase (see `Guest`, which reads the state).
 */
const TRANSIENT_500 =
  /got timeout|got lock request timeout|got no worker upid|try again|temporarily/i;

/** `can't rollback, '<snap>' is not most recent snapshot on '<vol>'` → the volume. */
export function rollbackBlockedOn(message: string): string | undefined {
  return /can't rollback, '[^']+' is not most recent snapshot on '([^']+)'/.exec(message)?.[1];
}

/** `WARN: command 'pvesh set /nodes/<node>/network ...' failed` lines of `reloadnetworkall`. */
export function failedReloadNodes(log: string[]): string[] {
  const nodes = new Set<string>();
  for (const line of log) {
    const m = /pvesh set \/nodes\/([^/\s]+)\/network/.exec(line);
    if (m && /fail|error/i.test(line)) nodes.add(m[1]!);
  }
  return [...nodes];
}

/** The vmid in an API path such as `/nodes/n1/qemu/100/status/current`. */
export function vmidOfPath(path: string | undefined): number | undefined {
  const m = path ? /\/(?:qemu|lxc)\/(\d+)(?:\/|$)/.exec(path) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Map an HTTP error answer of the PVE API to a typed error. Pure: status, status text (PVE puts the
 * message's first line there) and the parsed body in, error out.
 */
export function mapHttpError(
  status: number,
  statusText: string,
  body: { message?: unknown; errors?: unknown } | undefined,
  context: ProxmoxErrorContext,
): ProxmoxError {
  const bodyMessage = typeof body?.message === "string" ? body.message.trim() : "";
  const text = bodyMessage || statusText.trim() || `HTTP ${status}`;
  const ctx: ProxmoxErrorContext = {
    ...context,
    httpStatus: status,
    vmid: context.vmid ?? vmidOfPath(context.path),
  };
  const where = `${context.method ?? "?"} ${context.path ?? "?"}`;
  const message = `${where}: ${text}`;
  if (status === 401) return new AuthFailed(message, { context: ctx });
  if (status === 501) return new Unsupported(message, { context: ctx });
  const lock = lockOf(text);
  if (lock !== undefined) return new Locked(message, lock, { context: ctx });
  if (status === 404 || NOT_FOUND.test(text)) return new NotFound(message, { context: ctx });
  const errors =
    body?.errors && typeof body.errors === "object"
      ? Object.fromEntries(Object.entries(body.errors).map(([k, v]) => [k, String(v).trim()]))
      : undefined;
  const detail = errors
    ? ` (${Object.entries(errors)
        .map(([k, v]) => `${k}: ${v}`)
        .join("; ")})`
    : "";
  const retryable =
    status === 502 ||
    status === 503 ||
    status === 504 ||
    status === 596 ||
    // A 500 on an effect is usually a deterministic handler failure; on a read it is worth a retry.
    (status === 500 && (context.method === "GET" || TRANSIENT_500.test(text)));
  return new ApiError(`${message}${detail}`, {
    context: ctx,
    ...(errors ? { errors } : {}),
    retryable,
  });
}

/** Map a failed task's exit status: a lock or config-lock timeout inside a task means nothing changed. */
export function mapTaskExit(exitstatus: string): { lock?: string; transient: boolean } {
  const lock = lockOf(exitstatus);
  return { ...(lock ? { lock } : {}), transient: TRANSIENT_500.test(exitstatus) };
}

/** `OK` and `WARNINGS: N` are success. */
export function isTaskSuccess(exitstatus: string | undefined): boolean {
  return exitstatus === "OK" || /^WARNINGS: \d+$/.test(exitstatus ?? "");
}
