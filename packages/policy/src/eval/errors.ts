import { TxboxError, type TxboxErrorOptions } from "@txbox/core";

/** A labelled evaluation file is missing or has a bad line; `details` names the file and line. */
export class EvalDataError extends TxboxError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super("E_POLICY_EVAL_DATA", message, options);
  }
}
