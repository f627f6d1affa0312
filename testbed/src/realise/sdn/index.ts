export { SdnRealiser, type SdnRealiserOptions, type SdnApplyReport } from "./realiser.js";
export {
  planNetwork,
  nftRuleset,
  nftRule,
  bgpdConf,
  sdnNames,
  type NodeNetwork,
  type VnetDevices,
  type BgpConfig,
  type SdnNames,
} from "./model.js";
export {
  attachNetworkOnlyGuest,
  detachNetworkOnlyGuest,
  type NetworkOnlyGuest,
} from "./netguest.js";
export type {
  RunningSdnConfig,
  SdnControllerConfig,
  SdnZoneConfig,
  SdnVnetConfig,
  SdnSubnetConfig,
  SdnFirewallRule,
  SdnVnetFirewall,
  SdnFirewallSwitches,
  SdnNode,
  BridgeLocation,
} from "./types.js";
