import { TxboxError, type TxboxErrorOptions } from "@txbox/core";

/** A network spec is invalid: `details.file`, `details.line`, `details.key` say where. */
export class SpecError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NET_SPEC", message, options);
  }
}

/** The plan cannot be applied as is (an object the spec wants is owned by someone else). */
export class PlanConflictError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NET_CONFLICT", message, options);
  }
}

/** A step of an apply failed; `details.step` names it. Re-running apply resumes from the cluster's state. */
export class ApplyError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NET_APPLY", message, { retryable: true, ...options });
  }
}

/** The apply was aborted through its signal; the cluster is left part-way and a re-run converges. */
export class ApplyAbortedError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NET_ABORTED", message, { retryable: true, ...options });
  }
}

/**
 * Thrown by a port when a create finds the object already there. The engine then updates it in
 * place, which makes a create that is repeated after a crash converge instead of fail.
 */
export class AlreadyExistsError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NET_EXISTS", message, options);
  }
}

/**
 * The cluster would not enforce the spec's firewalls (datacenter firewall off, or a node not in
 * nftables mode); `details.settings` lists each setting with the API call that changes it.
 */
export class FirewallOffError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NET_FIREWALL_OFF", message, options);
  }
}

/**
 * A saved plan (`net plan --out`) no longer describes what apply would do: the cluster, the spec
 * or the target changed since it was made. `details.reason` says which; plan again.
 */
export class PlanStaleError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NET_PLAN_STALE", message, {
      hint: "review the changes again: txbox net plan --out PLAN, then txbox net apply PLAN",
      ...options,
    });
  }
}
