export { FirewallError } from "./rules.js";
export { FW_MARK_TABLE, FW_TABLE, nodeFirewallRuleset, type NodeFirewallPlace } from "./ruleset.js";
export { PVE_FW_MACROS } from "./macros.js";
export type {
  FirewallConfig,
  FwGuest,
  FwGuestNic,
  FwIpsetEntry,
  FwRule,
  FwScope,
} from "./types.js";
export { emptyScope } from "./types.js";
