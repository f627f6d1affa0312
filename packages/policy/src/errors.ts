import { ConfigError, type TxboxErrorOptions } from "@txbox/core";

/**
 * A rule pack cannot be loaded: bad YAML, a schema error, or an example that its rule does not
 * (or wrongly does) match. `details` names the file, the rule and the example.
 */
export class PolicyPackError extends ConfigError {
  constructor(message: string, options: TxboxErrorOptions = {}) {
    super(message, options);
    // Same class family as ConfigError (exit status, JSON shape), with its own stable code.
    Object.defineProperty(this, "code", { value: "E_POLICY_PACK", enumerable: true });
  }
}
