import { TimeoutError, TxboxError, type TxboxErrorOptions } from "@txbox/core";

/** Where a Proxmox failure happened; every field is optional because not every call has it. */
export interface ProxmoxErrorContext {
  method?: string;
  path?: string;
  httpStatus?: number;
  vmid?: number;
  upid?: string;
}

type Options = TxboxErrorOptions & { context?: ProxmoxErrorContext };

function withContext(options: Options): TxboxErrorOptions {
  const { context, ...rest } = options;
  const ctx = Object.fromEntries(Object.entries(context ?? {}).filter(([, v]) => v !== undefined));
  return { ...rest, details: { ...ctx, ...rest.details } };
}

/** Base of every error raised by the Proxmox client. */
export class ProxmoxError extends TxboxError {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly httpStatus: number | undefined;
  readonly vmid: number | undefined;
  readonly upid: string | undefined;

  constructor(code: string, message: string, options: Options = {}) {
    super(code, message, withContext(options));
    const c = options.context ?? {};
    this.method = c.method;
    this.path = c.path;
    this.httpStatus = c.httpStatus;
    this.vmid = c.vmid;
    this.upid = c.upid;
  }
}

/** The object (guest, snapshot, zone, task) does not exist. */
export class NotFound extends ProxmoxError {
  constructor(message: string, options: Options = {}) {
    super("E_NOT_FOUND", message, options);
  }
}

/** The guest carries a lock (`VM is locked (snapshot)`); `lock` names it. */
export class Locked extends ProxmoxError {
  readonly lock: string;
  constructor(message: string, lock: string, options: Options = {}) {
    super("E_LOCKED", message, {
      retryable: true,
      hint: `another operation holds the '${lock}' lock; wait, or clear a stale lock with \`unlock\``,
      ...options,
      details: { lock, ...options.details },
    });
    this.lock = lock;
  }
}

/** Authentication failed (401): wrong token, secret, password or an expired ticket. */
export class AuthFailed extends ProxmoxError {
  constructor(message: string, options: Options = {}) {
    super("E_AUTH", message, {
      hint: "check proxmox.tokenId and the secret (secretFile / secretEnv) in txbox.yaml",
      ...options,
    });
  }
}

/** A task ended with an error; `exitstatus` is PVE's text, `log` the task log's tail. */
export class TaskFailed extends ProxmoxError {
  readonly exitstatus: string;
  readonly log: string[];
  constructor(message: string, exitstatus: string, log: string[], options: Options = {}) {
    super("E_TASK_FAILED", message, {
      ...options,
      details: { exitstatus, log: log.slice(-20), ...options.details },
    });
    this.exitstatus = exitstatus;
    this.log = log;
  }
}

/** Waiting (for a task, a lock, a retry budget) ran out. The operation may still be running. */
export class Timeout extends TimeoutError {
  readonly upid: string | undefined;
  readonly vmid: number | undefined;
  constructor(message: string, options: Options = {}) {
    super(message, withContext(options));
    this.upid = options.context?.upid;
    this.vmid = options.context?.vmid;
  }
}

/** The server does not implement this (501), or the guest type cannot do it. */
export class Unsupported extends ProxmoxError {
  constructor(message: string, options: Options = {}) {
    super("E_UNSUPPORTED", message, options);
  }
}

/** Any other API failure; `errors` is PVE's per-parameter map of a 400. */
export class ApiError extends ProxmoxError {
  readonly errors: Record<string, string> | undefined;
  constructor(message: string, options: Options & { errors?: Record<string, string> } = {}) {
    const { errors, ...rest } = options;
    super("E_API", message, {
      ...rest,
      details: { ...(errors ? { errors } : {}), ...rest.details },
    });
    this.errors = errors;
  }
}

/**
 * The request did not get an HTTP answer. `sent` says whether it may have reached the server:
 * when true, an effect may have started and must not be re-sent blindly.
 */
export class TransportError extends ProxmoxError {
  readonly sent: boolean;
  constructor(message: string, sent: boolean, options: Options = {}) {
    super("E_TRANSPORT", message, {
      retryable: true,
      ...options,
      details: { sent, ...options.details },
    });
    this.sent = sent;
  }
}

/**
 * The API answered with a certificate other than the pinned one. Never retried: either the pin
 * is stale (the node's certificate was renewed) or something sits between txbox and the API.
 */
export class TlsFingerprintMismatch extends ProxmoxError {
  constructor(message: string, options: Options & { expected: string; presented: string }) {
    const { expected, presented, ...rest } = options;
    super("E_TLS_FINGERPRINT", message, {
      ...rest,
      retryable: false,
      details: { expected, presented, ...rest.details },
      hint:
        "compare with `pvenode cert info` on the node; if the certificate was renewed, " +
        "set proxmox.fingerprint to its SHA-256",
    });
  }
}

/**
 * `PUT /cluster/sdn` committed the configuration, but the network reload failed on some nodes:
 * PVE's `reloadnetworkall` task only warns (`WARNINGS: N`). `nodes` names them.
 */
export class SdnReloadFailed extends ProxmoxError {
  readonly nodes: string[];
  readonly log: string[];
  constructor(message: string, nodes: string[], log: string[], options: Options = {}) {
    super("E_SDN_RELOAD", message, {
      hint: `the SDN configuration is committed; check the network of ${nodes.join(", ") || "the nodes"} (journalctl -u networking, ifreload -a), then apply again`,
      ...options,
      details: { nodes, log: log.slice(-20), ...options.details },
    });
    this.nodes = nodes;
    this.log = log;
  }
}

/**
 * A rollback the storage refuses (`volume_rollback_is_possible`): ZFS, and qcow2 volume chains,
 * roll back only to the newest snapshot. `blockers` are the newer snapshots PVE lists;
 * `outsidePve` is true when PVE lists none, so they were made on the storage directly.
 */
export class RollbackBlocked extends ProxmoxError {
  readonly blockers: string[];
  readonly outsidePve: boolean;
  constructor(message: string, blockers: string[], outsidePve: boolean, options: Options = {}) {
    super("E_ROLLBACK_BLOCKED", message, {
      hint: outsidePve
        ? "a snapshot made on the storage outside Proxmox (zfs snapshot, a replication or backup tool) is newer; remove it on the node, or roll back to it"
        : "delete the newer snapshots first (they are lost), or roll back to the newest",
      ...options,
      details: { blockers, outsidePve, ...options.details },
    });
    this.blockers = blockers;
    this.outsidePve = outsidePve;
  }
}
