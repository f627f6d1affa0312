import type { ProxmoxClient } from "./client.js";
import { ApiError, ProxmoxError } from "./errors.js";
import { RETRY } from "./retry.js";

/** A guest HA wants running, and the token may not take it out of HA's hands for a rollback. */
export class HaManaged extends ProxmoxError {
  constructor(message: string, vmid: number) {
    super("E_HA_MANAGED", message, {
      hint: "give the token Sys.Console on / (HA resources), or set the resource to `ignored` around txbox's use of the guest (ha-manager set <sid> --state ignored)",
      context: { vmid, path: "/cluster/ha/resources" },
    });
  }
}

interface HaResource {
  sid: string;
  state: string;
  comment?: string;
}

/**
 * The comment txbox writes with `state=ignored` in one PUT, so that the hold and what to restore
 * are recorded together on the cluster: a crash between hold and release leaves it there, and the
 * next rollback of the guest (recovery's) reads the original state back from it.
 */
const HOLD = /^txbox-ha-hold state=(\w+) by=(\S+)(?: comment=([A-Za-z0-9_-]*))?$/;

/**
 * HA around a rollback (pve-ha-manager): a rollback stops the guest, and with requested state
 * `started` the CRM/LRM would start it again mid-rollback (failing on the `rollback` lock and
 * counting towards `max_restart`, then relocation). `ignored` is the state the HA docs give for
 * manual work ("the HA stack will not touch it"); `disabled` and `stopped` would make HA stop the
 * guest. So txbox sets `ignored` before the rollback and restores the state after it.
 */
export class HaGuard {
  constructor(private readonly client: ProxmoxClient) {}

  private async resource(vmid: number): Promise<HaResource | undefined> {
    let list: HaResource[];
    try {
      list = await this.client.get<HaResource[]>("/cluster/ha/resources");
    } catch (error) {
      // Without Sys.Audit on / the token sees no HA configuration: nothing to hold.
      if (error instanceof ApiError && error.httpStatus === 403) return undefined;
      throw error;
    }
    return list.find((r) => r.sid === `vm:${vmid}` || r.sid === `ct:${vmid}`);
  }

  /** Before a transaction: refuse a guest HA keeps running when the token cannot hold it. */
  async check(vmid: number): Promise<void> {
    const r = await this.resource(vmid);
    if (r === undefined || r.state !== "started" || HOLD.test(r.comment ?? "")) return;
    const perms = await this.client.get<Record<string, Record<string, number>>>(
      "/access/permissions",
      { path: "/" },
    );
    if (perms["/"]?.["Sys.Console"] === undefined)
      throw new HaManaged(
        `guest ${vmid} is HA-managed (${r.sid}, state started): a rollback would be fought by the HA manager, and the token lacks Sys.Console on / to set it to ignored meanwhile`,
        vmid,
      );
  }

  /** Run `fn` (a rollback) with the guest's HA resource held at `ignored`; idempotent. */
  async around<T>(vmid: number, by: string, fn: () => Promise<T>): Promise<T> {
    const r = await this.resource(vmid);
    const held = r === undefined ? undefined : HOLD.exec(r.comment ?? "");
    if (r === undefined || (r.state !== "started" && held === null)) return fn();
    const path = `/cluster/ha/resources/${encodeURIComponent(r.sid)}`;
    if (held === null || held === undefined) {
      const comment = Buffer.from(r.comment ?? "").toString("base64url");
      await this.put(vmid, path, {
        state: "ignored",
        comment: `txbox-ha-hold state=${r.state} by=${by} comment=${comment}`,
      });
    }
    const state = held?.[1] ?? r.state;
    const comment = held === null || held === undefined ? (r.comment ?? "") : decode(held[3]);
    const result = await fn();
    await this.put(vmid, path, {
      state,
      ...(comment === "" ? { delete: "comment" } : { comment }),
    });
    return result;
  }

  private async put(vmid: number, path: string, params: Record<string, string>): Promise<void> {
    try {
      await this.client.request("PUT", path, params, RETRY.effect, {
        alreadyDone: async () => undefined,
      });
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 403)
        throw new HaManaged(
          `guest ${vmid} is HA-managed: cannot change its HA state (${error.message})`,
          vmid,
        );
      throw error;
    }
  }
}

const decode = (b64: string | undefined): string =>
  Buffer.from(b64 ?? "", "base64url").toString("utf8");
