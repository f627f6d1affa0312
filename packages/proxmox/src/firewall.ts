import type { ProxmoxClient } from "./client.js";
import type { GuestType } from "./guest.js";
import { NotFound } from "./errors.js";
import { RETRY } from "./retry.js";

/** Where firewall rules live: the cluster, one node, one guest, or one SDN vnet. */
export type FirewallScope =
  | { kind: "cluster" }
  | { kind: "node"; node: string }
  | { kind: "guest"; node: string; type: GuestType; vmid: number }
  | { kind: "vnet"; vnet: string };

/** A firewall rule as listed (`pos` is its position, `enable` an integer). */
export interface FirewallRule {
  pos: number;
  type: string;
  action: string;
  enable?: number;
  source?: string;
  dest?: string;
  proto?: string;
  dport?: string;
  sport?: string;
  comment?: string;
  digest?: string;
  [key: string]: unknown;
}

export type FirewallRuleInput = {
  type: "in" | "out" | "group" | "forward";
  action: string;
  enable?: boolean | number;
  pos?: number;
  source?: string;
  dest?: string;
  proto?: string;
  dport?: string;
  sport?: string;
  comment?: string;
  macro?: string;
  iface?: string;
  log?: string;
  digest?: string;
};

function base(scope: FirewallScope): string {
  switch (scope.kind) {
    case "cluster":
      return "/cluster/firewall";
    case "node":
      return `/nodes/${scope.node}/firewall`;
    case "guest":
      return `/nodes/${scope.node}/${scope.type}/${scope.vmid}/firewall`;
    case "vnet":
      return `/cluster/sdn/vnets/${scope.vnet}/firewall`;
  }
}

/** Thin typed access to firewall rules and options of the cluster, guests and vnets. */
export class Firewall {
  constructor(private readonly client: ProxmoxClient) {}

  rules(scope: FirewallScope): Promise<FirewallRule[]> {
    return this.client.get(`${base(scope)}/rules`);
  }
  rule(scope: FirewallScope, pos: number): Promise<FirewallRule> {
    return this.client.get(`${base(scope)}/rules/${pos}`);
  }
  /** Add a rule. Not idempotent by nature (rules have no name): an unknown outcome is rethrown. */
  async createRule(scope: FirewallScope, rule: FirewallRuleInput): Promise<void> {
    await this.client.request("POST", `${base(scope)}/rules`, { ...rule }, RETRY.effect);
  }
  async updateRule(
    scope: FirewallScope,
    pos: number,
    changes: Partial<FirewallRuleInput> & { moveto?: number; delete?: string },
  ): Promise<void> {
    await this.client.request("PUT", `${base(scope)}/rules/${pos}`, { ...changes }, RETRY.effect);
  }
  /** Delete the rule at `pos`; pass its `digest` to avoid deleting a rule that moved. Missing is success. */
  async deleteRule(scope: FirewallScope, pos: number, digest?: string): Promise<void> {
    try {
      await this.client.request(
        "DELETE",
        `${base(scope)}/rules/${pos}`,
        digest ? { digest } : undefined,
        RETRY.effect,
      );
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
  }
  options(scope: FirewallScope): Promise<Record<string, unknown>> {
    return this.client.get(`${base(scope)}/options`);
  }
  async setOptions(scope: FirewallScope, options: Record<string, unknown>): Promise<void> {
    await this.client.request("PUT", `${base(scope)}/options`, options, RETRY.effect, {
      alreadyDone: async () => undefined,
    });
  }
}
