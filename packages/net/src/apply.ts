import { readFile } from "node:fs/promises";
import { errorMessage } from "@txbox/core";
import {
  AlreadyExistsError,
  ApplyAbortedError,
  ApplyError,
  FirewallOffError,
  PlanConflictError,
} from "./errors.js";
import { planDestroy, plan as planSpec, type Action, type Plan, type Step } from "./plan.js";
import type { CallOptions, FirewallState, GuestRef, Ledger, NetPort, Observed } from "./ports.js";
import { describePrerequisites } from "./prerequisites.js";
import type { NetSpec } from "./spec.js";

/** Reported before and after each action, and once for an empty plan. */
export interface ProgressEvent {
  phase: "start" | "done" | "failed" | "nothing";
  /** 1-based position and count of actions. */
  index: number;
  total: number;
  action?: Action;
  message: string;
}

export interface ApplyOptions {
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Budget for each guest to accept SSH after start (default 120 s). */
  sshTimeoutMs?: number;
  /**
   * Turn on the datacenter firewall and the nodes' nftables mode when the plan needs them;
   * without it such a plan is refused (FirewallOffError) before anything changes.
   */
  enableFirewall?: boolean;
}

export interface ApplyResult {
  plan: Plan;
  /** Actions carried out (all of them unless it threw). */
  applied: number;
}

/** Read the cluster state that plans for the spec named `name` compare against. */
export async function observe(
  port: NetPort,
  name: string,
  opts: CallOptions = {},
): Promise<Observed> {
  const [controllers, zones, vnets, guests, ledger, nodes, storages] = await Promise.all([
    port.listControllers(opts),
    port.listZones(opts),
    port.listVnets(opts),
    port.listGuests(opts),
    port.loadLedger(name, opts),
    port.listNodes(opts),
    port.listStorages?.(opts),
  ]);
  const [zoneStatus, firewall] = await Promise.all([
    port.listZoneStatus(nodes, opts),
    port.getFirewallSwitches(nodes, opts),
  ]);
  const subnets = (await Promise.all(vnets.map((v) => port.listSubnets(v.vnet, opts)))).flat();
  const vnetFirewalls: Record<string, FirewallState> = {};
  for (const v of vnets)
    if (v.state !== "new" && v.state !== "deleted")
      vnetFirewalls[v.vnet] = await port.getVnetFirewall(v.vnet, opts);
  const guestFirewalls: Record<string, FirewallState> = {};
  for (const g of guests)
    if (!g.template) guestFirewalls[String(g.vmid)] = await port.getGuestFirewall(g, opts);
  return {
    controllers,
    zones,
    vnets,
    subnets,
    vnetFirewalls,
    guests,
    guestFirewalls,
    ledger,
    nodes,
    zoneStatus,
    firewall,
    ...(storages === undefined ? {} : { storages }),
  };
}

/** Replace the rules carrying `mark` by `state.rules` (on top, in order) and set the options. */
async function syncFirewall(
  state: FirewallState,
  mark: string,
  current: () => Promise<FirewallState>,
  del: (pos: number) => Promise<void>,
  create: (rule: FirewallState["rules"][number]) => Promise<void>,
  setOptions: (o: Record<string, string | number>) => Promise<void>,
): Promise<void> {
  // Options first would open the policy before the rules exist; rules first keeps it closed.
  const mine = (await current()).rules
    .filter((r) => r.comment?.startsWith(`${mark}:`) && r.pos !== undefined)
    .map((r) => r.pos!)
    .sort((a, b) => b - a);
  for (const pos of mine) await del(pos);
  for (const rule of [...state.rules].reverse()) await create({ ...rule, pos: 0 });
  await setOptions(state.options);
}

async function readKey(ssh: { publicKey?: string; publicKeyFile?: string }): Promise<string[]> {
  if (ssh.publicKey !== undefined) return [ssh.publicKey.trim()];
  if (ssh.publicKeyFile === undefined) return [];
  return [(await readFile(ssh.publicKeyFile, "utf8")).trim()];
}

async function createOrUpdate(
  create: () => Promise<void>,
  update: () => Promise<void>,
): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    await update();
  }
}

function withoutId(params: Record<string, unknown>, idField: string): Record<string, unknown> {
  const { [idField]: _id, type: _type, ...rest } = params;
  return rest;
}

type StepOf<T extends Step["type"]> = Extract<Step, { type: T }>;
type LedgerRef = { value: Ledger; save: () => Promise<void> };

async function createSdn(
  step: StepOf<"sdn-create">,
  port: NetPort,
  ledger: LedgerRef,
  opts: CallOptions,
): Promise<void> {
  const idField = step.object;
  const id = String(step.params[idField]);
  const rest = withoutId(step.params, idField);
  if (step.object === "controller" || step.object === "zone") {
    // Intent before effect: a crash after the create still leaves the object owned.
    const list = step.object === "controller" ? ledger.value.controllers : ledger.value.zones;
    if (!list.includes(id)) {
      list.push(id);
      await ledger.save();
    }
  }
  if (step.object === "controller")
    return createOrUpdate(
      () => port.createController(step.params, opts),
      () => port.updateController(id, rest, opts),
    );
  if (step.object === "zone")
    return createOrUpdate(
      () => port.createZone(step.params, opts),
      () => port.updateZone(id, rest, opts),
    );
  return createOrUpdate(
    () => port.createVnet(step.params, opts),
    () => port.updateVnet(id, rest, opts),
  );
}

async function deleteSdn(
  step: StepOf<"sdn-delete">,
  port: NetPort,
  ledger: LedgerRef,
  opts: CallOptions,
): Promise<void> {
  if (step.object === "controller") await port.deleteController(step.id, opts);
  else if (step.object === "zone") await port.deleteZone(step.id, opts);
  else await port.deleteVnet(step.id, opts);
  if (step.object !== "vnet") {
    const key = step.object === "controller" ? "controllers" : "zones";
    ledger.value[key] = ledger.value[key].filter((x) => x !== step.id);
    await ledger.save();
  }
}

async function applySdn(
  step: StepOf<"sdn-apply">,
  port: NetPort,
  opts: CallOptions,
): Promise<void> {
  await port.applySdn(opts);
  // PVE's reload only warns when a node fails: its zones stay `pending`. Say so now rather
  // than report success (the next apply reloads them).
  const zones = new Set(step.zones ?? []);
  const behind = (await port.listZoneStatus(await port.listNodes(opts), opts)).filter(
    (z) => zones.has(z.zone) && z.status !== "available",
  );
  if (behind.length > 0)
    throw new Error(
      `the SDN reload did not reach every node: ${behind.map((z) => `zone ${z.zone} is ${z.status} on ${z.node}`).join(", ")}`,
    );
}

/** Clone, once: a clone repeated after a crash finds its guest (the planner only lets us here when it is ours). */
async function cloneOnce(
  port: NetPort,
  clone: StepOf<"guest-create">["clone"],
  opts: CallOptions,
): Promise<void> {
  try {
    await port.cloneGuest(clone, opts);
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
}

async function runStep(
  step: Step,
  port: NetPort,
  ledger: LedgerRef,
  opts: CallOptions & { sshTimeoutMs: number },
): Promise<void> {
  switch (step.type) {
    case "sdn-create":
      return createSdn(step, port, ledger, opts);
    case "sdn-update":
      if (step.object === "controller") return port.updateController(step.id, step.params, opts);
      if (step.object === "zone") return port.updateZone(step.id, step.params, opts);
      return port.updateVnet(step.id, step.params, opts);
    case "sdn-delete":
      return deleteSdn(step, port, ledger, opts);
    case "subnet-create":
      return createOrUpdate(
        () => port.createSubnet(step.vnet, step.params, opts),
        () => port.updateSubnet(step.vnet, step.id, withoutId(step.params, "subnet"), opts),
      );
    case "subnet-update":
      return port.updateSubnet(step.vnet, step.id, step.params, opts);
    case "subnet-delete":
      return port.deleteSubnet(step.vnet, step.id, opts);
    case "sdn-apply":
      return applySdn(step, port, opts);
    case "firewall-enable":
      if (step.scope === "datacenter") return port.enableDatacenterFirewall(opts);
      return port.enableNodeNftables(step.scope, opts);
    case "vnet-firewall":
      return syncFirewall(
        step.state,
        step.marker,
        () => port.getVnetFirewall(step.vnet, opts),
        (pos) => port.deleteVnetFirewallRule(step.vnet, pos, opts),
        (rule) => port.createVnetFirewallRule(step.vnet, rule, opts),
        (o) => port.setVnetFirewallOptions(step.vnet, o, opts),
      );
    case "guest-firewall":
      return syncFirewall(
        step.state,
        step.marker,
        () => port.getGuestFirewall(step.guest, opts),
        (pos) => port.deleteGuestFirewallRule(step.guest, pos, opts),
        (rule) => port.createGuestFirewallRule(step.guest, rule, opts),
        (o) => port.setGuestFirewallOptions(step.guest, o, opts),
      );
    case "guest-create": {
      const ref = { node: step.clone.node, vmid: step.clone.vmid, type: step.clone.type };
      const keys = await readKey(step.ssh);
      await cloneOnce(port, step.clone, opts);
      return finishGuest(port, ref, step.config, step.ssh.user, keys, opts);
    }
    case "guest-update":
      if (step.ssh === undefined) return port.configureGuest(step.guest, step.config, opts);
      return finishGuest(
        port,
        step.guest,
        step.config,
        step.ssh.user,
        await readKey(step.ssh),
        opts,
      );
    case "guest-start":
      await port.startGuest(step.guest, opts);
      return port.waitForSsh(step.guest, step.sshUser, opts.sshTimeoutMs, opts);
    case "guest-delete":
      await port.stopGuest(step.guest, opts);
      return port.destroyGuest(step.guest, opts);
  }
}

/**
 * Configure a new guest and install its keys, and only then tag it as the spec's: a crash in
 * between leaves an untagged guest, which the planner adopts by name and finishes (keys included).
 */
async function finishGuest(
  port: NetPort,
  ref: GuestRef,
  config: Record<string, string | number>,
  user: string,
  keys: string[],
  opts: CallOptions,
): Promise<void> {
  const { tags, ...rest } = config;
  if (Object.keys(rest).length > 0) await port.configureGuest(ref, rest, opts);
  await port.authorizeSshKeys(ref, user, keys, opts);
  if (tags !== undefined) await port.configureGuest(ref, { tags }, opts);
}

/** Refuse a plan whose firewall switches are off unless told to set them (FirewallOffError). */
export function checkPrerequisites(p: Plan, enableFirewall: boolean): void {
  if (p.prerequisites.length > 0 && !enableFirewall)
    throw new FirewallOffError(describePrerequisites(p.name, p.prerequisites), {
      details: { settings: p.prerequisites },
      hint: "change these settings (the calls above), or run apply with --enable-firewall",
    });
}

/** One apply in progress: the plan, where it goes, and how many of its actions are done. */
interface ApplyRun {
  p: Plan;
  port: NetPort;
  ledger: LedgerRef;
  callOpts: CallOptions & { sshTimeoutMs: number };
  signal?: AbortSignal;
  onProgress?: ApplyOptions["onProgress"];
  applied: number;
}

/** Action `i` of the plan, with its progress events; its failure becomes ApplyError (or aborted). */
async function runAction(r: ApplyRun, i: number): Promise<void> {
  const { p, signal } = r;
  const total = p.actions.length;
  const action = p.actions[i]!;
  const label = `${action.op} ${action.kind} ${action.id}`;
  const at = { index: i + 1, total, action };
  if (signal?.aborted)
    throw new ApplyAbortedError(
      `apply of "${p.name}" aborted before ${label} (${r.applied}/${total} done)`,
      {
        details: { applied: r.applied, total },
        hint: "run apply again: it plans from the cluster's state and resumes",
      },
    );
  r.onProgress?.({ phase: "start", ...at, message: `[${i + 1}/${total}] ${label}` });
  try {
    await runStep(action.step, r.port, r.ledger, r.callOpts);
  } catch (cause) {
    r.onProgress?.({
      phase: "failed",
      ...at,
      message: `[${i + 1}/${total}] ${label}: ${errorMessage(cause)}`,
    });
    if (signal?.aborted)
      throw new ApplyAbortedError(`apply of "${p.name}" aborted during ${label}`, {
        details: { applied: r.applied, total },
        cause,
      });
    throw new ApplyError(`${label} failed: ${errorMessage(cause)}`, {
      details: { step: action.step.type, id: action.id, applied: r.applied, total },
      hint: "fix the cause and run apply again: it resumes from the cluster's state",
      cause,
    });
  }
  r.applied++;
  r.onProgress?.({ phase: "done", ...at, message: `[${i + 1}/${total}] ${label}: done` });
}

/** What a failure around the SDN lock means: a step's own error, an abort, or the lock itself. */
function lockFailure(r: ApplyRun, cause: unknown): Error {
  if (cause instanceof ApplyError || cause instanceof ApplyAbortedError) return cause;
  const details = { applied: r.applied, total: r.p.actions.length };
  if (r.signal?.aborted)
    return new ApplyAbortedError(`apply of "${r.p.name}" aborted while taking the SDN lock`, {
      details,
      cause,
    });
  return new ApplyError(`taking the SDN lock failed: ${errorMessage(cause)}`, {
    details,
    hint: "another client holds PVE's SDN lock: wait for it, or release a stale one on a node with `pvesh delete /cluster/sdn/lock --force 1`",
    cause,
  });
}

/**
 * Carry out a plan through `port`, in order, reporting progress. Every step is idempotent, so
 * after a crash or an abort, planning again from the cluster's state and applying resumes.
 */
export async function apply(
  p: Plan,
  port: NetPort,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const { onProgress, signal } = options;
  if (p.conflicts.length > 0)
    throw new PlanConflictError(
      `plan for "${p.name}" has conflicts:\n${p.conflicts.map((c) => `  ${c}`).join("\n")}`,
      {
        details: { conflicts: p.conflicts },
        hint: "rename the objects in the spec, or remove the foreign ones from the cluster",
      },
    );
  checkPrerequisites(p, options.enableFirewall === true);
  const total = p.actions.length;
  if (total === 0) {
    onProgress?.({
      phase: "nothing",
      index: 0,
      total,
      message: "No changes. The cluster matches the spec.",
    });
    return { plan: p, applied: 0 };
  }
  const callOpts = { ...(signal ? { signal } : {}), sshTimeoutMs: options.sshTimeoutMs ?? 120_000 };
  const ledger: LedgerRef = {
    value: await port.loadLedger(p.name, callOpts),
    save: () => port.saveLedger(p.name, ledger.value, callOpts),
  };
  const r: ApplyRun = {
    p,
    port,
    ledger,
    callOpts,
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    applied: 0,
  };
  const run = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) await runAction(r, i);
  };
  // PVE 9's global SDN lock is held around the SDN writes and their commit, where the API has it
  const sdn = p.actions.map((a) => /^(sdn|subnet)-/.test(a.step.type));
  const first = sdn.indexOf(true);
  const last = sdn.lastIndexOf(true);
  if (first < 0 || port.withSdnLock === undefined) await run(0, total);
  else {
    await run(0, first);
    await port
      .withSdnLock(() => run(first, last + 1), callOpts)
      .catch((cause: unknown) => {
        throw lockFailure(r, cause);
      });
    await run(last + 1, total);
  }
  return { plan: p, applied: r.applied };
}

/** Observe, plan and apply: make the cluster match the spec. A second run plans nothing. */
export async function converge(
  spec: NetSpec,
  port: NetPort,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const observed = await observe(port, spec.name, options.signal ? { signal: options.signal } : {});
  return apply(planSpec(spec, observed), port, options);
}

/** Remove everything txbox created for this spec (guests, firewall rules, SDN objects) and apply. */
export async function destroy(
  spec: NetSpec,
  port: NetPort,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const observed = await observe(port, spec.name, options.signal ? { signal: options.signal } : {});
  return apply(planDestroy(spec.name, observed), port, options);
}
