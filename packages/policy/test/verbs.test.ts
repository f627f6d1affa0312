import { resolveContext } from "../src/context.js";
import { hostOf, isLocalHost } from "../src/effects/target.js";
import { extractFacts } from "../src/facts/extract.js";
import { loadKnowledge } from "../src/knowledge/load.js";
import { readKnowledge } from "../src/knowledge/read.js";
import { verbsFileSchema, type VerbSpec } from "../src/knowledge/schema.js";
import { compileVerb } from "../src/knowledge/verbs.js";
import { decide, explain, loadPolicy } from "../src/policy.js";
import type { CommandFacts } from "../src/types.js";

/**
 * Program-independent verbs (knowledge/verbs.yaml): every entry's examples, where a word counts,
 * and that hand-written knowledge of a program speaks before them.
 */
const ctx = resolveContext({});
// The command an example is about is the outermost: the extractor emits it after the commands
// its substitutions run.
const facts = (cmd: string): CommandFacts => extractFacts(cmd, ctx).commands.at(-1)!;
const file = readKnowledge("verbs.yaml", verbsFileSchema);
const policy = loadPolicy();
const verbIds = (cmd: string) =>
  explain(policy, cmd)
    .effects.filter((e) => e.id.startsWith("verb."))
    .map((e) => e.id);

describe("verbs.yaml: every entry reads its examples as it says", () => {
  for (const v of file.verbs) {
    const test = compileVerb(
      v,
      file.remote_locations.map((r) => new RegExp(r, "i")),
    );
    it(`${v.id}: matches ${v.match.length}, not ${v.not_match.length}`, () => {
      for (const cmd of v.match) expect([cmd, test(facts(cmd))]).toEqual([cmd, expect.any(String)]);
      for (const cmd of v.not_match) expect([cmd, test(facts(cmd))]).toEqual([cmd, undefined]);
    });
    it(`${v.id}: no example names a program the gate knows`, () => {
      for (const cmd of [...v.match, ...v.not_match])
        expect(explain(policy, cmd).matches.filter((m) => !m.id.startsWith("default"))).toEqual([]);
    });
  }
});

describe("verbs: where a word counts", () => {
  const spec = (over: Partial<VerbSpec>): VerbSpec => ({
    id: "verb.t",
    effect: "send",
    words: ["upload"],
    place: "any",
    reason: "r",
    match: ["x upload"],
    not_match: [],
    ...over,
  });
  it("first: only the subcommand word", () => {
    const t = compileVerb(spec({ place: "first" }));
    expect(t(facts("demo upload a"))).toBe("upload");
    expect(t(facts("demo release upload a"))).toBeUndefined();
  });
  it("nested: after one to three words, not first, not deeper than the fourth word", () => {
    const t = compileVerb(spec({ place: "nested" }));
    expect(t(facts("demo upload a"))).toBeUndefined();
    expect(t(facts("demo release upload a"))).toBe("upload");
    expect(t(facts("demo a b c upload"))).toBe("upload");
    expect(t(facts("demo a b c d upload"))).toBeUndefined();
  });
  it("follows: the word before it must be one of the list", () => {
    const t = compileVerb(spec({ words: ["create"], follows: ["token"], place: "nested" }));
    expect(t(facts("demo token create"))).toBe("create");
    expect(t(facts("demo user create"))).toBeUndefined();
  });
  it("with_options and unless_options: an option present decides, as a flag or with a value", () => {
    const t = compileVerb(spec({ with_options: ["-g"], unless_options: ["--dry-run"] }));
    expect(t(facts("demo upload -g rg"))).toBe("upload");
    expect(t(facts("demo upload"))).toBeUndefined();
    expect(t(facts("demo upload -g rg --dry-run"))).toBeUndefined();
  });
  it("with_path: a local path operand, or one the program's own syntax reads or writes", () => {
    const t = compileVerb(spec({ words: undefined, word_match: "^6777$", with_path: true }));
    // chmod's hand-written syntax makes FILE a written path, not a bare operand
    expect(facts("chmod 6777 f.txt").paths.map((p) => p.role)).toEqual(["write"]);
    expect(t(facts("chmod 6777 f.txt"))).toBe("6777");
    expect(t(facts("demo 6777 ./f.txt"))).toBe("6777");
    expect(t(facts("demo 6777"))).toBeUndefined();
  });
  it("flags: the option itself is what is read", () => {
    const t = compileVerb(spec({ words: undefined, flags: ["--show-secrets"] }));
    expect(t(facts("demo stack output --show-secrets"))).toBe("--show-secrets");
  });
});

describe("verbs decide programs nobody wrote knowledge for", () => {
  it("uploads, publishes and printed credentials of an unknown client are denied", () => {
    for (const cmd of [
      "pkgtool upload dist/*",
      "pkgtool publish",
      "cloudcli auth print-access-token",
      "stackcli stack output --show-secrets",
      "cloudcli vm deallocate -g rg -n vm1",
      "forgecli release delete v1.2",
      "forgecli secret set API_TOKEN",
      "kubecli delete po web-1",
      "backupcli ./src sftp://u@backup.example/x",
      "capturecli -i eth0 host db.example.com and port 5432",
      "initcli enable miner.service",
      "vcscli push origin --delete main",
    ])
      expect([cmd, decide(policy, cmd).decision]).toEqual([cmd, "deny"]);
  });
  it("the same clients' reads and local work stay undenied", () => {
    for (const cmd of [
      "pkgtool build",
      "pkgtool publish -o out/",
      "pkgtool publish --dry-run",
      "cloudcli vm list -g rg",
      "cloudcli token list",
      "cloudcli aks get-credentials -g rg -n c",
      "forgecli release create v1.2",
      "backupcli sftp://u@backup.example/x ./restore",
      "webcli port 8080",
      "initcli enable",
      "vcscli push origin main",
    ])
      expect([cmd, decide(policy, cmd).decision]).not.toEqual([cmd, "deny"]);
  });
  it("hand-written knowledge of the program speaks first: vagrant destroy stays on the guest", () => {
    expect(verbIds("vagrant destroy -f")).toEqual([]);
    expect(decide(policy, "vagrant destroy -f").decision).toBe("transact");
    expect(verbIds("infractl destroy -auto-approve")).toEqual(["verb.destroy"]);
  });
});

describe("verbs: a host is the guest exactly when the service targets say so (target.ts)", () => {
  const t = compileVerb(file.verbs.find((v) => v.id === "verb.remote-host-destroy")!);
  const cases = [
    "localhost",
    "localhost:6379",
    "127.0.0.1:6379",
    "[::1]:5432",
    "cache.localhost",
    "unix:/run/redis.sock",
    "/run/redis.sock",
    "prod-cache",
    "prod-cache:6379",
    "10.0.0.5",
    "db.example.com:5432",
  ];
  it.each(cases)("-h %s: remote as hostOf/isLocalHost read it", (host) => {
    const remote = !isLocalHost(hostOf(host));
    expect(t(facts(`kvx -h ${host} FLUSHDB`)) !== undefined).toBe(remote);
    expect(t(facts(`kvx --host=${host} FLUSHDB`)) !== undefined).toBe(remote);
  });
  it.each(["redis://localhost:6379", "postgres://u@db.localhost/app", "redis://cache.example.com"])(
    "a URL operand %s: its host, read the same way",
    (url) => {
      const remote = !isLocalHost(hostOf(url));
      expect(t(facts(`kvx ${url} flushall`)) !== undefined).toBe(remote);
    },
  );
  it("the guest's own names are local, other hosts remote", () => {
    expect(
      ["localhost:6379", "cache.localhost", "unix:/s"].map((h) => isLocalHost(hostOf(h))),
    ).toEqual([true, true, true]);
    expect(["prod-cache:6379", "db.example.com"].map((h) => isLocalHost(hostOf(h)))).toEqual([
      false,
      false,
    ]);
  });
});

describe("verbs: a client's delete acts where the client acts (verb.service-destroy, by target)", () => {
  const k = loadKnowledge();
  const byDefault = (d: "remote" | "local") =>
    [...k.services]
      .filter(([, r]) => r.spec.default === d && r.spec.env.length === 0)
      .map(([p]) => p);
  const serviceDestroy = (cmd: string) =>
    explain(policy, cmd).effects.filter((e) => e.id === "verb.service-destroy");
  it("every client whose service is remote by default: a delete no entry of its own speaks for is denied", () => {
    let read = 0;
    for (const p of byDefault("remote")) {
      const cmd = `${p} widget delete w1`;
      const e = serviceDestroy(cmd);
      if (e.length === 0) continue; // an entry naming the program spoke for it
      read++;
      expect([cmd, e.map((x) => x.remote), decide(policy, cmd).decision]).toEqual([
        cmd,
        [true],
        "deny",
      ]);
    }
    expect(read).toBeGreaterThan(20);
  });
  it("a client whose service is the guest by default: the same delete is undone by the snapshot", () => {
    for (const p of byDefault("local")) {
      const cmd = `${p} widget delete w1`;
      for (const e of serviceDestroy(cmd)) expect([cmd, e.remote]).toEqual([cmd, false]);
    }
  });
  it("an unknown client acts where its URL points, and on its service when it names none (ADR 0018)", () => {
    expect(decide(policy, "widgetctl widget rm w1").decision).toBe("deny");
    expect(decide(policy, "widgetctl --url http://localhost:8080 widget rm w1").decision).toBe(
      "transact",
    );
    expect(decide(policy, "widgetctl --url https://api.example.com widget rm w1").decision).toBe(
      "deny",
    );
    expect(decide(policy, "widgetctl --url https://api.example.com widget list").decision).not.toBe(
      "deny",
    );
  });
});

describe("verbs: a command handed to another host is read as that command, not as words", () => {
  it("ssh's remote command gives ssh no verb of its own", () => {
    for (const cmd of [
      "ssh h rm x",
      "ssh h forgex cache delete 1",
      "ssh u@h pkgtool upload dist/x",
    ])
      expect([
        cmd,
        explain(policy, cmd).effects.filter((e) => e.command === 1 && e.id.startsWith("verb.")),
      ]).toEqual([cmd, []]);
  });
});
