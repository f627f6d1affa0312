import { createHash } from "node:crypto";
import { str, type Routes } from "./context.js";
import { fail, paramError } from "./errors.js";
import type { Guests } from "./guests.js";
import type { Store } from "./store.js";

/** One HA resource as `/etc/pve/ha/resources.cfg` holds it. */
export interface HaResource {
  sid: string;
  type: "vm" | "ct";
  state: "started" | "stopped" | "disabled" | "ignored";
  comment?: string;
  max_restart: number;
  max_relocate: number;
  group?: string;
}

const FILE = "ha/resources.json";

/**
 * HA resources and a minimal HA manager (pve-ha-manager). Config: `PVE/API2/HA/Resources.pm`
 * (create/read/update/delete; a bare vmid is completed to `vm:`/`ct:` by `parse_sid`;
 * `enabled` is stored as `started`, `Config.pm` `parse_sid`/`read_resources_config`). Effect:
 * the CRM/LRM loop (`Manager.pm` `next_state_started`/`next_state_stopped`, `LRM.pm`) starts a
 * guest whose requested state is `started` and stops one whose state is `stopped` or `disabled`;
 * `ignored` resources are left alone ("the HA stack will not touch it"). A start that meets a
 * guest config lock fails, as `qm start` does on a locked VM, and is tried again next round.
 * Not modelled: groups, relocation after `max_restart` failures, fencing, `error` state.
 */
export class Ha {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly gs: Guests,
    intervalMs: number,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.round().catch(() => undefined), intervalMs);
      this.timer.unref();
    }
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private all(): HaResource[] {
    return this.store.read<HaResource[]>(FILE) ?? [];
  }

  private write(list: HaResource[]): void {
    this.store.write(FILE, list);
  }

  private digest(): string {
    return createHash("sha1").update(JSON.stringify(this.all())).digest("hex");
  }

  /** `parse_sid`: `vm:100`, `ct:100`, or `100` completed from the guest's type. */
  private sid(raw: string): { sid: string; type: "vm" | "ct"; vmid: number } {
    const m = /^(?:(vm|ct):)?(\d+)$/.exec(raw);
    if (m === null) throw paramError({ sid: `unable to parse service id '${raw}'` });
    const vmid = Number(m[2]);
    const g = this.gs.byId.get(vmid);
    const type = (m[1] as "vm" | "ct" | undefined) ?? (g?.type === "lxc" ? "ct" : "vm");
    return { sid: `${type}:${vmid}`, type, vmid };
  }

  private find(raw: string): HaResource {
    const { sid } = this.sid(raw);
    const r = this.all().find((x) => x.sid === sid);
    if (r === undefined) throw fail(`no such resource '${sid}'`);
    return r;
  }

  /** Whether HA manages the guest (any configured resource; `ignored` is configured too). */
  resourceOf(vmid: number): HaResource | undefined {
    return this.all().find((x) => x.sid.endsWith(`:${vmid}`));
  }

  private state(v: unknown): HaResource["state"] {
    return v === "enabled" ? "started" : (v as HaResource["state"]);
  }

  routes(): Routes {
    const r: Routes = {};
    const view = (x: HaResource) => ({ ...x, digest: this.digest() });
    r["GET /cluster/ha/resources"] = (req) =>
      this.all()
        .filter((x) => str(req.params, "type") === undefined || x.type === req.params.type)
        .map(view);
    r["GET /cluster/ha/resources/{sid}"] = (req) => view(this.find(req.params.sid as string));
    r["POST /cluster/ha/resources"] = (req) => {
      const p = req.params;
      const { sid, type, vmid } = this.sid(p.sid as string);
      // Resources.pm create: `PVE::HA::Config::service_is_configured` / the guest must exist
      if (!this.gs.byId.has(vmid)) throw fail(`unable to find VM/CT '${vmid}'`);
      const list = this.all();
      if (list.some((x) => x.sid === sid)) throw fail(`resource ID '${sid}' already defined`);
      list.push({
        sid,
        type,
        state: this.state(p.state ?? "started"),
        max_restart: typeof p.max_restart === "number" ? p.max_restart : 1,
        max_relocate: typeof p.max_relocate === "number" ? p.max_relocate : 1,
        ...(typeof p.comment === "string" ? { comment: p.comment } : {}),
        ...(typeof p.group === "string" ? { group: p.group } : {}),
      });
      this.write(list);
      return null;
    };
    r["PUT /cluster/ha/resources/{sid}"] = (req) => {
      const p = req.params;
      if (typeof p.digest === "string" && p.digest !== this.digest())
        throw fail("detected modified configuration - file changed by other user? Try again.");
      const cur = this.find(p.sid as string);
      const list = this.all().filter((x) => x.sid !== cur.sid);
      const next: HaResource = { ...cur };
      for (const k of typeof p.delete === "string" ? p.delete.split(/[,;\s]+/) : [])
        if (k === "comment" || k === "group") delete next[k];
      if (p.state !== undefined) next.state = this.state(p.state);
      if (typeof p.comment === "string") next.comment = p.comment;
      if (typeof p.max_restart === "number") next.max_restart = p.max_restart;
      if (typeof p.max_relocate === "number") next.max_relocate = p.max_relocate;
      this.write([...list, next]);
      return null;
    };
    r["DELETE /cluster/ha/resources/{sid}"] = (req) => {
      const cur = this.find(req.params.sid as string);
      this.write(this.all().filter((x) => x.sid !== cur.sid));
      return null;
    };
    return r;
  }

  /** One CRM/LRM round: bring each managed guest to its requested state, as root@pam would. */
  async round(): Promise<void> {
    for (const res of this.all()) {
      if (res.state === "ignored") continue;
      const g = this.gs.byId.get(Number(res.sid.split(":")[1]));
      if (g === undefined || this.gs.isTemplate(g)) continue;
      const running = await this.gs.running(g.vmid);
      const caller = { user: "root@pam" };
      if (res.state === "started" && !running) this.gs.start(g, caller, false);
      if ((res.state === "stopped" || res.state === "disabled") && running)
        this.gs.stop(g, caller, { graceful: true, timeoutMs: 60_000, skiplock: false });
    }
  }
}
