/**
 * `@txbox/runtime/gate`: the gate and the policy's configuration without the session (no
 * journal, API client or SSH), for commands that only decide — `policy check --no-daemon` starts
 * without loading SQLite, ssh2 or the HTTP client.
 */
export { gate } from "./gate.js";
export { commandTextProblem, type CommandTextProblem } from "./command-text.js";
export { configFor, findConfigFile, guestPolicies, policyContext, policyFor } from "./policy.js";
