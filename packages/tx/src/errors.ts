import { TxboxError, type TxboxErrorOptions } from "@txbox/core";

/** Another transaction holds the guest's lock and did not release it within the wait budget. */
export class GuestBusy extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_GUEST_BUSY", message, { retryable: true, ...options });
  }
}

/** The storage rolls back only to the newest snapshot and a newer one than ours exists. */
export class NestedSnapshot extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NESTED", message, options);
  }
}

/** The journal cannot be opened, read or written. */
export class JournalError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_JOURNAL", message, options);
  }
}

/** No journal exists where the configuration puts it, and the command only reads one. */
export class JournalNotFound extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_NO_JOURNAL", message, options);
  }
}

/** No transaction with that id is in the journal. */
export class TxNotFound extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_TX_NOT_FOUND", message, options);
  }
}

/** Recovery could not drive a transaction to a terminal state; the guest needs an operator. */
export class RecoveryFailed extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_RECOVERY", message, options);
  }
}

/** A state-machine transition that the transition table does not allow (a bug or a corrupt journal). */
export class InvalidTransition extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_TX_TRANSITION", message, options);
  }
}

/** The operation does not apply to the transaction in its current state (e.g. no kept snapshot). */
export class TxStateError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_TX_STATE", message, options);
  }
}

/** A rollback did not complete; the transaction is FAILED and its snapshot kept for the operator. */
export class RollbackFailed extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_ROLLBACK_FAILED", message, options);
  }
}
