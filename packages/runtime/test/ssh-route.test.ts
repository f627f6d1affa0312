import { parseSshConfig } from "@txbox/exec";
import { resolveRoute, type RouteContext } from "../src/ssh-route.js";

const CONFIG = parseSshConfig(
  `
Host bastion
  HostName 198.51.100.10
  User jumper
  Port 2022
  IdentityFile ~/.ssh/jump_%r
  ProxyJump none

Host edge catchall
  ProxyJump none

Host inner
  ProxyJump bastion

Host g-*
  HostName 10.9.0.%n
  ProxyJump inner,admin@edge:2200
  User ops
  UserKnownHostsFile ~/.ssh/lab_known

Host direct
  ProxyJump none

Host *
  ProxyJump catchall
`,
  "/home/o/.ssh/config",
);

const ctx = (over: Partial<RouteContext> = {}): RouteContext => ({
  config: CONFIG,
  home: "/home/o",
  localUser: "o",
  exists: (f) => f === "/home/o/.ssh/id_ed25519",
  ...over,
});

const known = ["/home/o/.ssh/known_hosts", "/home/o/.ssh/known_hosts2", "/etc/ssh/ssh_known_hosts"];

test("a Host alias: HostName with %n, User, ProxyJump of two hops, the first through its own ProxyJump", () => {
  expect(resolveRoute({ name: "g-5", keyFile: "/k" }, ctx())).toEqual({
    host: "10.9.0.g-5",
    port: 22,
    user: "ops",
    identityFiles: [],
    knownHostsFiles: ["/home/o/.ssh/lab_known", "/etc/ssh/ssh_known_hosts"],
    jump: [
      // inner's own ProxyJump (bastion) comes first; `edge` is reached through inner.
      {
        host: "198.51.100.10",
        port: 2022,
        user: "jumper",
        identityFiles: ["/home/o/.ssh/jump_jumper"],
        knownHostsFiles: known,
      },
      {
        host: "inner",
        port: 22,
        user: "root",
        identityFiles: ["/home/o/.ssh/id_ed25519"],
        knownHostsFiles: known,
      },
      {
        host: "edge",
        port: 2200,
        user: "admin",
        identityFiles: ["/home/o/.ssh/id_ed25519"],
        knownHostsFiles: known,
      },
    ],
  });
});

test("txbox.yaml's values win over the config; proxyJump none turns the config's off", () => {
  const r = resolveRoute(
    { name: "g-5", user: "root", port: 2222, proxyJump: "none", keyFile: "/k" },
    ctx(),
  );
  expect({ user: r.user, port: r.port, jump: r.jump }).toEqual({
    user: "root",
    port: 2222,
    jump: [],
  });
});

test("ProxyJump none in an earlier block wins over a later one", () => {
  expect(resolveRoute({ name: "direct", keyFile: "/k" }, ctx()).jump).toEqual([]);
});

test("no config: the name as given, root, 22, default identities only without a keyFile", () => {
  expect(resolveRoute({ name: "10.0.0.5" }, ctx({ config: undefined }))).toEqual({
    host: "10.0.0.5",
    port: 22,
    user: "root",
    identityFiles: ["/home/o/.ssh/id_ed25519"],
    knownHostsFiles: known,
    jump: [],
  });
  expect(
    resolveRoute({ name: "10.0.0.5", keyFile: "/k" }, ctx({ config: undefined })).identityFiles,
  ).toEqual([]);
});

test("ssh.knownHosts of txbox.yaml replaces every default", () => {
  expect(resolveRoute({ name: "g-1" }, ctx({ knownHosts: ["/p/kh"] })).knownHostsFiles).toEqual([
    "/p/kh",
  ]);
});

test("a ProxyJump loop is a ConfigError, not a hang", () => {
  const loop = parseSshConfig("Host a\n ProxyJump b\nHost b\n ProxyJump a\n", "/c");
  expect(() => resolveRoute({ name: "a" }, ctx({ config: loop }))).toThrow(
    "ProxyJump nests deeper than 8",
  );
});
