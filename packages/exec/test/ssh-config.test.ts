import {
  expandTokens,
  hostLineMatches,
  optionsFor,
  parseJumpSpec,
  parseSshConfig,
  SshConfigSyntaxError,
} from "../src/ssh-config.js";

const CONFIG = `
# global options come first and apply to every host
User operator

Host bastion
  HostName 203.0.113.7
  Port 2222
  IdentityFile ~/.ssh/bastion_ed25519

Host *.lab !db.lab
  ProxyJump bastion
  IdentityFile=~/.ssh/%r@%h
  User labuser

Host web?.lab
  User ignored-because-first-wins
  Port 2200
  IdentityFile "/keys/with space"

Host db.lab
  ProxyJump none
  UserKnownHostsFile /a/known /b/known

Match host secret
  User never

Host *
  ProxyJump fallback
  Port 22
`;

const cfg = parseSshConfig(CONFIG, "cfg");

describe("ssh_config: first value wins, IdentityFile accumulates", () => {
  test.each([
    [
      "bastion",
      {
        hostName: "203.0.113.7",
        user: "operator",
        port: 2222,
        identityFiles: ["~/.ssh/bastion_ed25519"],
        proxyJump: ["fallback"],
      },
    ],
    [
      "web1.lab",
      {
        user: "operator",
        port: 2200,
        identityFiles: ["~/.ssh/%r@%h", "/keys/with space"],
        proxyJump: ["bastion"],
      },
    ],
    [
      "db.lab",
      {
        user: "operator",
        port: 22,
        identityFiles: [],
        proxyJump: [],
        userKnownHostsFiles: ["/a/known", "/b/known"],
      },
    ],
    [
      "WEB2.LAB",
      {
        user: "operator",
        port: 2200,
        identityFiles: ["~/.ssh/%r@%h", "/keys/with space"],
        proxyJump: ["bastion"],
      },
    ],
  ])("%s", (host, expected) => {
    expect(optionsFor(cfg, host)).toEqual(expected);
  });

  test("a Match block is skipped whole and reported", () => {
    expect(optionsFor(cfg, "secret").user).toBe("operator");
    expect(cfg.ignored).toEqual([{ line: 24, text: "Match host secret" }]);
  });

  test("ProxyJump lists several hops; Include is reported", () => {
    const c = parseSshConfig("Include other\nHost x\n ProxyJump a@j1:2022,ssh://j2\n");
    expect(optionsFor(c, "x").proxyJump).toEqual(["a@j1:2022", "ssh://j2"]);
    expect(c.ignored).toEqual([{ line: 1, text: "Include other" }]);
  });

  test.each([
    ["Host x\n Port abc\n", "x", 'cfg:2: bad Port "abc"'],
    ["Host\n", "x", "cfg:1: missing argument for Host"],
    ['Host x\n User "a\n', "x", "cfg:2: unbalanced quote"],
  ])("syntax errors name file and line: %j", (text, host, message) => {
    expect(() => optionsFor(parseSshConfig(text, "cfg"), host)).toThrow(SshConfigSyntaxError);
    expect(() => optionsFor(parseSshConfig(text, "cfg"), host)).toThrow(message);
  });
});

describe("Host patterns", () => {
  test.each([
    ["a.lab", ["*.lab"], true],
    ["lab", ["*.lab"], false],
    ["web1", ["web?"], true],
    ["web12", ["web?"], false],
    ["db.lab", ["*.lab", "!db.lab"], false],
    ["db.lab", ["!db.lab"], false],
    ["x", ["a", "x"], true],
    ["10.0.0.5", ["10.0.0.*"], true],
    ["a.b", ["a.b"], true],
    ["axb", ["a.b"], false],
  ])("%s against %j: %s", (name, patterns, matches) => {
    expect(hostLineMatches(name, patterns)).toBe(matches);
  });
});

describe("ProxyJump hops and tokens", () => {
  test.each([
    ["j", { host: "j" }],
    ["u@j:2022", { user: "u", host: "j", port: 2022 }],
    ["ssh://u@j:22", { user: "u", host: "j", port: 22 }],
    ["[fd00::1]:2200", { host: "fd00::1", port: 2200 }],
  ])("%s", (spec, hop) => expect(parseJumpSpec(spec)).toEqual(hop));

  test("a hop without a host is refused", () => {
    expect(() => parseJumpSpec("u@")).toThrow(RangeError);
  });

  const t = {
    home: "/home/o",
    host: "10.0.0.5",
    remoteUser: "root",
    localUser: "o",
    port: 2222,
    original: "g1",
  };
  test.each([
    ["~/.ssh/id_%h", "/home/o/.ssh/id_10.0.0.5"],
    ["%d/k_%r_%u_%p_%n_100%%", "/home/o/k_root_o_2222_g1_100%"],
    ["/abs/key", "/abs/key"],
  ])("%s → %s", (value, expanded) => expect(expandTokens(value, t)).toBe(expanded));

  test("an unknown token is an error", () => {
    expect(() => expandTokens("%C", t)).toThrow("unknown token %C");
  });
});
