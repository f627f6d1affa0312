/** The plan's data: actions, their steps and field changes. JSON-safe, so a plan can be saved. */
import type { CloneRequest, FirewallState, GuestRef } from "./ports.js";
import type { FirewallPrerequisite } from "./prerequisites.js";

export type ObjectKind =
  | "controller"
  | "zone"
  | "vnet"
  | "subnet"
  | "sdn"
  | "vnet-firewall"
  | "guest"
  | "guest-firewall"
  | "firewall-switch";

/** One field of an object, before and after (undefined = absent). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** What the engine does for one action. JSON-safe, so a plan can be saved and shown later. */
export type Step =
  | { type: "sdn-create"; object: "controller" | "zone" | "vnet"; params: Record<string, unknown> }
  | {
      type: "sdn-update";
      object: "controller" | "zone" | "vnet";
      id: string;
      params: Record<string, unknown>;
    }
  | { type: "sdn-delete"; object: "controller" | "zone" | "vnet"; id: string }
  | { type: "subnet-create"; vnet: string; id: string; params: Record<string, unknown> }
  | { type: "subnet-update"; vnet: string; id: string; params: Record<string, unknown> }
  | { type: "subnet-delete"; vnet: string; id: string }
  /** `zones`: the spec's zones, each of which must be `available` on every node afterwards. */
  | { type: "sdn-apply"; zones?: string[] }
  /** Turn on the datacenter firewall (`scope: "datacenter"`) or a node's nftables mode. */
  | { type: "firewall-enable"; scope: string }
  | { type: "vnet-firewall"; vnet: string; state: FirewallState; marker: string }
  | { type: "guest-firewall"; guest: GuestRef; state: FirewallState; marker: string }
  | {
      type: "guest-create";
      clone: CloneRequest;
      config: Record<string, string | number>;
      ssh: GuestSsh;
    }
  | {
      type: "guest-update";
      guest: GuestRef;
      config: Record<string, string | number>;
      /** Set when adopting an untagged clone: its creation may have crashed before the keys. */
      ssh?: GuestSsh;
    }
  | { type: "guest-start"; guest: GuestRef; sshUser: string }
  | { type: "guest-delete"; guest: GuestRef };

/** Who logs in to a guest, and with which public key (inline or from a file). */
export interface GuestSsh {
  user: string;
  publicKey?: string;
  publicKeyFile?: string;
}

export interface Action {
  op: "create" | "change" | "delete" | "apply" | "start";
  kind: ObjectKind;
  /** Display id: `tenanta`, `agentsa/tenanta-10.10.1.0-24`, `agent1 (201@pve1)`. */
  id: string;
  changes: FieldChange[];
  step: Step;
}

export interface Plan {
  /** The spec's name (the ownership marker). */
  name: string;
  /** In execution order: dependencies first for creates, last for deletes. */
  actions: Action[];
  /** Objects the spec wants that exist and are not txbox's: the plan must not be applied. */
  conflicts: string[];
  /**
   * Firewall switches PVE needs before it enforces the spec's rules; their `firewall-switch`
   * actions lead the plan, and apply carries them out only when told to (`--enable-firewall`).
   */
  prerequisites: FirewallPrerequisite[];
  summary: { create: number; change: number; delete: number };
}
