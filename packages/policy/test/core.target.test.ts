// Where a service client acts (effects/target.ts), on hand-written service entries: the host of a
// value, local names, option values in every spelling, prefix variables, URL operands, defaults.
// No policy pack is loaded: these are the decision core's own unit tests (also run by Stryker).
import { resolveContext } from "../src/context.js";
import { compileService, hostOf, isLocalHost, serviceTarget } from "../src/effects/target.js";
import { extractFacts } from "../src/facts/extract.js";
import type { ServiceSpec } from "../src/knowledge/schema.js";
import type { CommandFacts } from "../src/types.js";

const ctx = resolveContext({});
const facts = (cmd: string): CommandFacts => extractFacts(cmd, ctx).commands[0]!;

const spec = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  programs: ["myclient"],
  default: "local",
  host_options: [],
  url_operand: false,
  env: [],
  remote: [],
  local: [],
  ...over,
});
const GUEST = { remote: false, known: true };

describe("hostOf", () => {
  it.each([
    ["postgres://u:p@db.example.com:5432/app", "db.example.com"],
    ["https://api.example.com/x?y#z", "api.example.com"],
    ["http://[::1]:8080/x", "::1"],
    ["redis://cache:6379", "cache"],
    ["unix:/run/x.sock", "/"],
    ["/var/run/docker.sock", "/"],
    ["db.example.com:5432", "db.example.com"],
    ["db.example.com:5432/app", "db.example.com"],
    ["db.example.com/app", "db.example.com"],
    ["db.example.com", "db.example.com"],
    ["name:port", "name:port"],
    ["a:1x", "a:1x"],
    // a scheme only at the start makes a URL; brackets only around the whole host are dropped
    ["see http://db.example.com", "see http://db.example.com"],
    ["http://a[b]c/x", "a[b]c"],
    ["myunix:/x", "myunix:/x"],
  ])("%s → %s", (value, host) => {
    expect(hostOf(value)).toBe(host);
  });
});

describe("isLocalHost", () => {
  it.each([
    "localhost",
    "LocalHost",
    "127.0.0.1",
    "127.10.20.30",
    "0.0.0.0",
    "::1",
    "[::1]",
    "unix",
    "/",
    "/run/db.sock",
    "app.localhost",
    "my-app.localhost",
    "",
  ])("%j is the guest", (h) => {
    expect(isLocalHost(h)).toBe(true);
  });
  it.each([
    "db.example.com",
    "localhost.example.com",
    "xlocalhost",
    "127.0.0",
    "127.0.0.1.example.com",
    "10.0.0.1",
    "::2",
    "unixes",
    "a.b.localhost",
    "0.0.0.00",
  ])("%j is not", (h) => {
    expect(isLocalHost(h)).toBe(false);
  });
});

describe("compileService", () => {
  it("compiles only what the entry names", () => {
    expect(compileService(spec())).toEqual({ spec: spec() });
    const r = compileService(spec({ local_names: "^kind-", env: ["PGHOST", "DB_URL"] }));
    expect(r.localNames?.source).toBe("^kind-");
    expect(r.envRe?.exec("x PGHOST='db.example.com' y")?.slice(1)).toEqual([
      "PGHOST",
      "'",
      "db.example.com",
    ]);
    expect(r.envRe?.exec('DB_URL="a" z')?.[3]).toBe("a");
    expect(r.envRe?.test("XPGHOST=db.example.com")).toBe(false);
    expect(r.envRe?.test("PGHOST=")).toBe(false);
  });
});

describe("serviceTarget", () => {
  const hostRule = compileService(spec({ host_options: ["-h", "--host"] }));

  it("reads a host option in every spelling", () => {
    const remote = (name: string, why: string) => ({ remote: true, known: true, name, why });
    expect(serviceTarget(facts("myclient -h db.example.com"), hostRule)).toEqual(
      remote("db.example.com", "-h db.example.com"),
    );
    expect(serviceTarget(facts("myclient --host=db.example.com"), hostRule)).toEqual(
      remote("db.example.com", "--host db.example.com"),
    );
    expect(serviceTarget(facts("myclient -hdb.example.com"), hostRule)).toEqual(
      remote("db.example.com", "-h db.example.com"),
    );
    expect(serviceTarget(facts("myclient -x 1 --host db.example.com"), hostRule)).toEqual(
      remote("db.example.com", "--host db.example.com"),
    );
  });

  it("reads the raw arguments when the extractor did not take the option's value", () => {
    // c.options empty: the program's option grammar did not say the option takes a value
    const raw = (...argv: string[]): CommandFacts => ({ ...facts("myclient"), argv, options: {} });
    const remote = (name: string, why: string) => ({ remote: true, known: true, name, why });
    expect(serviceTarget(raw("--host=db.example.com"), hostRule)).toEqual(
      remote("db.example.com", "--host db.example.com"),
    );
    expect(serviceTarget(raw("--host", "db.example.com"), hostRule)).toEqual(
      remote("db.example.com", "--host db.example.com"),
    );
    expect(serviceTarget(raw("-hdb.example.com--"), hostRule)).toEqual(
      remote("db.example.com--", "-h db.example.com--"),
    );
    // as getopt reads it: the value of `-h=db` is `=db`
    expect(serviceTarget(raw("-h=db.example.com"), hostRule)).toEqual(
      remote("=db.example.com", "-h =db.example.com"),
    );
    expect(serviceTarget(raw("x", "--", "--host=db.example.com"), hostRule)).toEqual(GUEST);
  });

  it("stops at `--` and does not take a longer option for the host option", () => {
    expect(serviceTarget(facts("myclient -- -h db.example.com"), hostRule)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient --hostile=db.example.com"), hostRule)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient --hdb.example.com"), hostRule)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient -h"), hostRule)).toEqual(GUEST);
    const long = compileService(spec({ host_options: ["--host"] }));
    expect(serviceTarget(facts("myclient --hostdb.example.com"), long)).toEqual(GUEST);
    const word = compileService(spec({ host_options: ["-host"] }));
    expect(serviceTarget(facts("myclient -hostdb.example.com"), word)).toEqual(GUEST);
  });

  it("judges a local host as the guest", () => {
    expect(serviceTarget(facts("myclient -h localhost"), hostRule)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient -h 127.0.0.1:5432"), hostRule)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient -h /run/db.sock"), hostRule)).toEqual(GUEST);
  });

  it("takes the first host option the entry lists that is given", () => {
    const two = compileService(spec({ host_options: ["-u", "-h"] }));
    expect(serviceTarget(facts("myclient -h localhost -u redis://cache.example.com"), two)).toEqual(
      {
        remote: true,
        known: true,
        name: "redis://cache.example.com",
        why: "-u redis://cache.example.com",
      },
    );
  });

  it("reads a prefix variable the entry names", () => {
    const env = compileService(spec({ env: ["PGHOST"] }));
    expect(serviceTarget(facts("PGHOST=db.example.com myclient"), env)).toEqual({
      remote: true,
      known: true,
      name: "db.example.com",
      why: "PGHOST=db.example.com",
    });
    expect(serviceTarget(facts("PGHOST=localhost myclient"), env)).toEqual(GUEST);
    expect(serviceTarget(facts("OTHER=db.example.com myclient"), env)).toEqual(GUEST);
  });

  it("keeps names the entry calls local on the guest", () => {
    const kube = compileService(
      spec({ default: "remote", host_options: ["--context"], local_names: "^kind-" }),
    );
    expect(serviceTarget(facts("myclient --context kind-dev"), kube)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient --context prod"), kube)).toEqual({
      remote: true,
      known: true,
      name: "prod",
      why: "--context prod",
    });
  });

  it("judges production variables as remote for a known client only", () => {
    const prod = {
      remote: true,
      known: true,
      name: "APP_ENV=production",
      why: "runs against production",
    };
    expect(serviceTarget(facts("APP_ENV=production myclient"), hostRule)).toEqual(prod);
    expect(serviceTarget(facts("RAILS_ENV='prod' myclient"), hostRule)).toEqual({
      ...prod,
      name: "RAILS_ENV='prod'",
    });
    expect(serviceTarget(facts("APP_ENV=production myclient -h localhost"), hostRule)).toEqual(
      prod,
    );
    expect(serviceTarget(facts("APP_ENV=productions myclient"), hostRule)).toEqual(GUEST);
    expect(serviceTarget(facts("APP_ENV=production other"), undefined)).toEqual({
      remote: false,
      known: false,
    });
  });

  it("reads URL operands, and host-like operands where the entry says so", () => {
    const url = compileService(spec({ url_operand: true }));
    const remote = (name: string) => ({ remote: true, known: true, name, why: name });
    expect(serviceTarget(facts("myclient mongodb://db.example.com/app"), hostRule)).toEqual(
      remote("mongodb://db.example.com/app"),
    );
    expect(serviceTarget(facts("myclient db.example.com:5432/app"), url)).toEqual(
      remote("db.example.com:5432/app"),
    );
    expect(serviceTarget(facts("myclient x db.example.com"), url)).toEqual(
      remote("db.example.com"),
    );
    expect(serviceTarget(facts("myclient db.example.com:5432/app"), hostRule)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient localhost:8080"), url)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient status"), url)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient a:b"), url)).toEqual(GUEST);
    expect(serviceTarget(facts("myclient x:/y"), hostRule)).toEqual(GUEST);
  });

  it("falls back to the entry's default", () => {
    expect(serviceTarget(facts("myclient ls"), compileService(spec()))).toEqual(GUEST);
    expect(
      serviceTarget(facts("myclient ls"), compileService(spec({ default: "remote" }))),
    ).toEqual({
      remote: true,
      known: true,
      name: "myclient",
      why: "myclient acts on a service outside the guest",
    });
  });

  it("judges a program with no entry by the URL it names, else leaves it unnamed", () => {
    expect(serviceTarget(facts("other -X POST https://api.example.com/v1"), undefined)).toEqual({
      remote: true,
      known: true,
      name: "https://api.example.com/v1",
      why: "acts on https://api.example.com/v1",
    });
    expect(serviceTarget(facts("other http://localhost:3000/x"), undefined)).toEqual(GUEST);
    expect(serviceTarget(facts("other api.example.com"), undefined)).toEqual({
      remote: false,
      known: false,
    });
    expect(serviceTarget(facts("other x://"), undefined)).toEqual({ remote: false, known: false });
  });
});
