// End to end through the testbed's Proxmox API (proxmox-api client, token auth, pinned TLS
// fingerprint) on the host realiser: SSH into guests (pinned host keys), snapshot, change, roll
// back, and compare trees byte for byte; on the zfspool storage, ZFS's rollback refusal.
import { join } from "node:path";

import proxmoxApi from "proxmox-api";
import { Agent, fetch as undiciFetch } from "undici";

import { startTestbed, type TestbedHandle } from "../../src/testbed.js";
import type { HostRealiser } from "../../src/realise/host/index.js";
import {
  describeHost,
  manifestDiff,
  newRealiser,
  removeStateDir,
  sshRun,
  treeManifest,
  waitSsh,
  type OperatorKey,
} from "./support.js";
import { readFile } from "node:fs/promises";

interface TestbedGuest {
  vmid: number;
  status: string;
  mgmtAddress?: string;
  hostKeyFingerprints: string[];
}

describeHost("testbed API on the host realiser (end to end, as root)", () => {
  let r: HostRealiser;
  let tb: TestbedHandle;
  let agent: Agent;
  let api: ReturnType<typeof proxmoxApi>;
  let key: OperatorKey;
  const node = "pve1";

  const pinnedFetch = (url: string | URL, init?: Record<string, unknown>) =>
    undiciFetch(url, { ...(init as object), dispatcher: agent });

  async function guests(): Promise<Map<number, TestbedGuest>> {
    const res = await pinnedFetch(`${tb.url}/testbed/guests`, {
      headers: { authorization: `PVEAPIToken=${tb.tokenId}=${tb.secret}` },
    });
    const body = (await res.json()) as { data: TestbedGuest[] };
    return new Map(body.data.map((g) => [g.vmid, g]));
  }

  async function task(upid: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = (await api.nodes.$(node).tasks.$(upid).status.$get()) as {
        status: string;
        exitstatus?: string;
      };
      if (st.status === "stopped") return st.exitstatus ?? "";
      if (Date.now() > deadline)
        throw new Error(`task ${upid} still running after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  async function sshTo(vmid: number, command: string): Promise<string> {
    const g = (await guests()).get(vmid);
    if (!g?.mgmtAddress)
      throw new Error(`guest ${vmid} has no management address (status ${g?.status})`);
    await waitSsh(g.mgmtAddress, key, g.hostKeyFingerprints);
    const res = await sshRun(g.mgmtAddress, key, g.hostKeyFingerprints, command);
    if (res.code !== 0)
      throw new Error(`guest ${vmid}: ${command}: exit ${res.code}: ${res.stderr}`);
    return res.stdout;
  }

  beforeAll(async () => {
    r = await newRealiser("e2e", "10.213.61.0/24");
    tb = await startTestbed({
      stateDir: join(r.resolvedStateDir, "api"),
      realiser: r,
      config: {
        storages: [
          {
            id: "local-btrfs",
            type: "btrfs",
            content: ["images", "rootdir"],
            sizeBytes: 4 * 1024 ** 3,
          },
          { id: "tank", type: "zfspool", content: ["images", "rootdir"], sizeBytes: 4 * 1024 ** 3 },
        ],
        api: { port: 0, authFailDelayMs: 0, host: "127.0.0.1" },
        lab: {
          templates: [],
          guests: [
            { vmid: 101, type: "qemu", name: "vm101", storage: "local-btrfs", start: true },
            { vmid: 102, type: "lxc", name: "ct102", storage: "tank", start: true },
          ],
        },
      },
    });
    agent = new Agent({
      connect: {
        ca: tb.certPem,
        checkServerIdentity: (_h, cert) =>
          cert.fingerprint256 === tb.fingerprint
            ? undefined
            : new Error("API certificate fingerprint mismatch"),
      },
    });
    api = proxmoxApi({
      host: "127.0.0.1",
      port: tb.port,
      tokenID: tb.tokenId,
      tokenSecret: tb.secret,
      fetch: pinnedFetch as never,
    });
    const privateKey = await readFile(join(tb.stateDir, "operator_ed25519"), "utf8");
    key = { privateKey, publicKey: "" };
  }, 240_000);

  afterAll(async () => {
    await tb?.stop({ teardown: true });
    await agent?.close();
    if (r) {
      await r.teardown();
      await removeStateDir(r.resolvedStateDir);
    }
  }, 120_000);

  const SCRIPT = [
    "set -e",
    "mkdir -p /srv/app/lib",
    "echo v1 > /srv/app/VERSION && chmod 644 /srv/app/VERSION",
    "head -c 200000 /dev/urandom > /srv/app/lib/blob && chmod 600 /srv/app/lib/blob",
    "ln -sf ../VERSION /srv/app/lib/version-link",
  ].join("\n");
  const LIST =
    "cd /srv/app && find . -printf '%p %m %y\\n' | sort && find . -type f | sort | xargs sha256sum";

  test("qemu guest on local-btrfs: snapshot, change, rollback, start: byte-identical tree over SSH", async () => {
    await sshTo(101, SCRIPT);
    const before = await sshTo(101, LIST);
    const upid = await api.nodes.$(node).qemu.$(101).snapshot.$post({ snapname: "s1" });
    expect(await task(upid)).toBe("OK");
    await sshTo(
      101,
      "echo v2 > /srv/app/VERSION; rm -rf /srv/app/lib; echo extra > /srv/app/extra",
    );
    expect(await sshTo(101, LIST)).not.toBe(before);

    const rb = await api.nodes.$(node).qemu.$(101).snapshot.$("s1").rollback.$post({ start: true });
    expect(await task(rb)).toBe("OK");
    const snapTree = await treeManifest(
      join(r.storageMountPoint("local-btrfs"), "snapshots", "vm-101-disk-0", "s1"),
    );
    expect(
      manifestDiff(
        await treeManifest(r.volumePath({ storage: "local-btrfs", volume: "vm-101-disk-0" })),
        snapTree,
      ),
    ).toEqual([]);
    const status = (await api.nodes.$(node).qemu.$(101).status.current.$get()) as {
      status: string;
    };
    expect(status.status).toBe("running");
    expect(await sshTo(101, LIST)).toBe(before);
  }, 180_000);

  test("lxc guest on the zfspool storage: rollback only to the most recent snapshot", async () => {
    await sshTo(102, SCRIPT);
    const atS1 = await sshTo(102, LIST);
    expect(await task(await api.nodes.$(node).lxc.$(102).snapshot.$post({ snapname: "s1" }))).toBe(
      "OK",
    );
    await sshTo(102, "echo v2 > /srv/app/VERSION");
    const atS2 = await sshTo(102, LIST);
    expect(await task(await api.nodes.$(node).lxc.$(102).snapshot.$post({ snapname: "s2" }))).toBe(
      "OK",
    );
    await sshTo(102, "rm -rf /srv/app");

    const refused = await task(
      await api.nodes.$(node).lxc.$(102).snapshot.$("s1").rollback.$post({}),
    );
    expect(refused).toMatch(/is not most recent snapshot/);
    expect((await guests()).get(102)?.status).toBe("running");

    expect(await task(await api.nodes.$(node).lxc.$(102).snapshot.$("s2").rollback.$post({}))).toBe(
      "OK",
    );
    const st = (await api.nodes.$(node).lxc.$(102).status.current.$get()) as { status: string };
    if (st.status !== "running")
      expect(await task(await api.nodes.$(node).lxc.$(102).status.start.$post({}))).toBe("OK");
    expect(await sshTo(102, LIST)).toBe(atS2);

    // Deleting the newer snapshot makes s1 the most recent: now rollback to it is allowed.
    expect(await task(await api.nodes.$(node).lxc.$(102).snapshot.$("s2").$delete())).toBe("OK");
    expect(
      await task(
        await api.nodes.$(node).lxc.$(102).snapshot.$("s1").rollback.$post({ start: true }),
      ),
    ).toBe("OK");
    // As in PVE, start=1 starts the guest in a separate task: wait for it before using the guest.
    for (let i = 0; (await guests()).get(102)?.status !== "running"; i++) {
      if (i > 600) throw new Error("guest 102 did not start after the rollback with start=1");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await sshTo(102, LIST)).toBe(atS1);
  }, 240_000);
});
