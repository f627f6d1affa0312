import { flag, num, str, type Caller } from "./context.js";
import { fail, paramError } from "./errors.js";
import type { GuestRecord, Guests } from "./guests.js";
import { enabledOn, isShared } from "./storage.js";
import type { TaskContext } from "./tasks.js";

/**
 * Offline migration of a guest to another node (`POST /nodes/{node}/{qemu,lxc}/{vmid}/migrate`),
 * as qemu-server API2/Qemu.pm `migrate_vm` + PVE/QemuMigrate.pm and pve-container API2/LXC.pm
 * `migrate_vm` + PVE/LXC/Migrate.pm do it (both on pve-guest-common's AbstractMigrate):
 * checks that answer the POST (target, lock, running), then a worker that sets the `migrate`
 * lock (`phase1`), moves every volume on local storage to the target (`storage_migrate`; shared
 * volumes stay), moves the config file to the target node (`move_config_to_node`) and removes
 * the lock there (`phase3_cleanup`/`final_cleanup`). On failure the lock is removed and the guest
 * stays on its node (`phase1_cleanup`). Live migration is not modelled: a running VM needs
 * `online`, which the testbed refuses; a running CT moves with `restart` (stop, move, start).
 */
export class Migrator {
  constructor(private readonly gs: Guests) {}

  async migrate(g: GuestRecord, p: Record<string, unknown>, caller: Caller): Promise<string> {
    const target = str(p, "target")!;
    const noun = this.gs.noun(g);
    if (target === g.node) throw paramError({ target: "target is local node." });
    // PVE::Cluster::check_node_exists
    if (!this.gs.d.nodes.includes(target)) throw fail(`no such cluster node '${target}'`);
    if (str(p, "targetstorage") !== undefined || str(p, "target-storage") !== undefined)
      throw fail("testbed: a storage mapping on migration is not modelled");
    // "try to detect errors early": check_lock before the worker (migrate_vm)
    this.gs.checkLock(g);
    if (this.gs.haResource(g.vmid) !== undefined)
      throw fail("testbed: migration through ha-manager (hamigrate) is not modelled");
    const running = await this.gs.running(g.vmid);
    if (running) this.refuseRunning(g, p);
    for (const { key, ref } of this.gs.volumes(g.config)) {
      const def = this.gs.storage(ref.storage);
      // storage_migrate → storage_check_enabled on the target node
      if (!isShared(def) && !enabledOn(def, target))
        throw fail(`storage '${ref.storage}' is not available on node '${target}' (${key})`);
    }
    return this.gs.startTask(g, "migrate", caller, async (ctx) => {
      if (!running && flag(p, "online"))
        ctx.warn(`${noun} isn't running. Doing offline migration instead.`);
      this.gs.checkLock(g);
      if (running) {
        const timeout = (num(p, "timeout") ?? 180) * 1000;
        ctx.log(`shutdown CT ${g.vmid}`);
        await this.gs.d.realiser.stopGuest(g.vmid, { graceful: true, timeoutMs: timeout });
      }
      await this.gs.setLock(g, "migrate");
      const from = g.node;
      ctx.log(`starting migration of ${noun} ${g.vmid} to node '${target}'`);
      try {
        await this.moveVolumes(g, from, target, ctx);
      } catch (err) {
        await this.gs.setLock(g, undefined);
        if (running) await this.gs.d.realiser.startGuest(this.gs.spec(g));
        throw new Error(
          `migration aborted: ${err instanceof Error ? err.message.trim() : String(err)}`,
        );
      }
      await this.gs.d.locks.with(g.type, g.vmid, () => {
        g.node = target;
        delete g.config.lock;
        this.gs.save(g);
      });
      await this.gs.d.configChanged?.();
      if (running) {
        ctx.log(`start container on target node '${target}'`);
        await this.gs.d.realiser.startGuest(this.gs.spec(g));
      }
      ctx.log(`migration finished successfully`);
    });
  }

  /** API2/Qemu.pm: no `online`, no move; LXC.pm: `online` or `restart`, and Migrate.pm `prepare`. */
  private refuseRunning(g: GuestRecord, p: Record<string, unknown>): void {
    if (g.type === "qemu") {
      if (!flag(p, "online")) throw fail("can't migrate running VM without --online");
      throw fail("testbed: online (live) migration of a VM is not modelled");
    }
    if (!flag(p, "online") && !flag(p, "restart"))
      throw fail("can't migrate running container without --online or --restart");
    if (flag(p, "online")) throw fail("lxc live migration is currently not implemented");
  }

  private async moveVolumes(
    g: GuestRecord,
    from: string,
    to: string,
    ctx: TaskContext,
  ): Promise<void> {
    for (const { key, ref } of this.gs.volumes(g.config)) {
      if (isShared(this.gs.storage(ref.storage))) continue;
      ctx.log(`copying local disk '${ref.storage}:${ref.volume}' (${key}) to node '${to}'`);
      await this.gs.realiseOp("migrateVolume", async () =>
        this.gs.d.realiser.migrateVolume?.(ref, { from, to }),
      );
    }
  }
}
