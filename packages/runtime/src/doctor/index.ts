import type { LoadedConfig } from "@txbox/core";
import type { RuntimeEnv } from "../environment.js";
import { passphraseSource } from "../ssh-settings.js";
import { resolveTarget, type Target } from "../target.js";
import { fetchTestbedGuests, findTestbedState, readTestbedState } from "../testbed-state.js";
import { privilegeChecks, probeApi } from "./api.js";
import { reason, report, type Check, type DoctorReport } from "./check.js";
import { firewallChecks, guestChecks, locateGuests, sshChecks } from "./guests.js";
import { coreChecks, testbedChecks } from "./local.js";

export { type Check, type DoctorReport } from "./check.js";

export interface DoctorOptions {
  /** `txbox testbed doctor`: what running the local testbed needs, required. */
  testbed?: boolean;
}

/**
 * `txbox doctor`: this machine's basics; with a configured target, the API (reachable, TLS,
 * credentials, version, token expiry), the privileges of every call txbox makes, each configured
 * guest (node, type, storage, HA, agent, SSH) and the firewall switches. Testbed host checks only
 * for `txbox testbed doctor` (required) or a testbed target (warnings). Needs no root.
 */
export async function runDoctor(
  io: Pick<RuntimeEnv, "env" | "cwd">,
  loaded: LoadedConfig,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const checks: Check[] = coreChecks();
  if (options.testbed) return report([...checks, ...testbedChecks(io.env)]);
  let target: Target;
  try {
    target = resolveTarget(io, loaded);
  } catch (err) {
    checks.push({
      feature: "target",
      name: "configured",
      ok: false,
      // without any target, doctor checks only this machine; a broken proxmox: section fails
      optional: loaded.config.proxmox === undefined,
      detail: reason(err),
      fix: "write a proxmox: section in txbox.yaml, or start the local testbed (txbox testbed up)",
    });
    return report(checks);
  }
  if (target.source === "testbed")
    checks.push(...testbedChecks(io.env).map((c) => ({ ...c, optional: true })));
  checks.push(...(await clusterChecks(io, loaded, target)));
  return report(checks, {
    source: target.source,
    origin: target.origin,
    url: target.connection.url,
  });
}

/** The guests to check: txbox.yaml's `guests`, else (a testbed target) the testbed's running ones. */
async function guestIds(
  io: Pick<RuntimeEnv, "env" | "cwd">,
  loaded: LoadedConfig,
  target: Target,
): Promise<number[]> {
  if (loaded.config.guests.length > 0) return loaded.config.guests.map((g) => g.vmid);
  if (target.source !== "testbed") return [];
  const file = findTestbedState(io);
  if (file === undefined) return [];
  const guests = await fetchTestbedGuests(readTestbedState(file));
  return guests.filter((g) => g.template === 0 && g.status === "running").map((g) => g.vmid);
}

async function clusterChecks(
  io: Pick<RuntimeEnv, "env" | "cwd">,
  loaded: LoadedConfig,
  target: Target,
): Promise<Check[]> {
  const probe = await probeApi(target.connection, target.origin);
  const checks = [...probe.checks];
  const client = probe.client;
  if (client === undefined || probe.authid === undefined) return checks;
  try {
    const vmids = await guestIds(io, loaded, target);
    const located = await locateGuests(client, vmids);
    const nodes = (await client.nodes()).map((n) => n.node);
    checks.push(
      ...(await privilegeChecks(client, probe.authid, {
        guests: located.found,
        nodes: [...new Set(located.found.map((g) => g.node))],
      })),
    );
    checks.push(...located.checks);
    checks.push(...(await guestChecks(client, located.found)));
    checks.push(
      ...(await sshChecks(
        target,
        located.found.map((g) => g.vmid),
        passphraseSource(io, loaded),
      )),
    );
    const guestNodes = [...new Set(located.found.map((g) => g.node))];
    checks.push(...(await firewallChecks(client, guestNodes.length > 0 ? guestNodes : nodes)));
    if (vmids.length === 0)
      checks.push({
        feature: "guests",
        name: "configured",
        ok: false,
        optional: true,
        detail: "no guests: under guests: in txbox.yaml",
        fix: "list the guests agents run in: guests: [{vmid, host, keyFile, hostKey}]",
      });
  } catch (err) {
    checks.push({
      feature: "api",
      name: "cluster",
      ok: false,
      detail: reason(err),
      fix: "the API answered the probe but not this call: see the message",
    });
  } finally {
    await client.close();
  }
  return checks;
}
