// The program-independent verbs' compiler (src/knowledge/verbs.ts, compileVerb and verbEffects)
// on hand-built entries and commands: which word, flag, option value or program an entry reads,
// and every filter that stops it (place, follows, before, operand_match, with_options,
// unless_options, with_path, remote_host), the remote destinations of a copy and the packet
// capture filters (pcap-filter(7)). verbs.test.ts runs verbs.yaml's own examples and checks only
// that an entry reads something; these check what it reads (issue 16: Stryker's survivors).
import type { Target } from "../src/effects/target.js";
import type { VerbSpec } from "../src/knowledge/schema.js";
import { compileVerb, verbEffects } from "../src/knowledge/verbs.js";
import type { PathFact } from "../src/types.js";
import { command } from "./command.js";

/** A command of a program with no grammar: `words` are its positional words (and its argv). */
const cmd = (over: Parameters<typeof command>[1] = {}) =>
  command(over.program ?? "prog", { argv: over.words ?? [], ...over });
const spec = (over: Partial<VerbSpec>): VerbSpec =>
  ({
    id: "verb.t",
    effect: "send",
    place: "any",
    reason: "r",
    match: [],
    not_match: [],
    ...over,
  }) as VerbSpec;
const local = (raw: string, role: PathFact["role"] = "operand", remote?: boolean): PathFact => ({
  raw,
  path: raw,
  role,
  classes: ["project"],
  ...(remote === undefined ? {} : { remote }),
});

describe("compileVerb: words and where they count", () => {
  const upload = compileVerb(spec({ words: ["upload"] }));
  it("a word among the first four positional words, returned as read", () => {
    expect(upload(cmd({ words: ["upload", "x"] }))).toBe("upload");
    expect(upload(cmd({ words: ["a", "b", "c", "upload"] }))).toBe("upload");
    expect(upload(cmd({ words: ["a", "b", "c", "d", "upload"] }))).toBeUndefined();
    expect(upload(cmd({ words: ["uploads"] }))).toBeUndefined();
    expect(upload(cmd({ words: [] }))).toBeUndefined();
  });

  it("place first: only the first word; nested: not the first", () => {
    const first = compileVerb(spec({ words: ["upload"], place: "first" }));
    expect(first(cmd({ words: ["upload"] }))).toBe("upload");
    expect(first(cmd({ words: ["x", "upload"] }))).toBeUndefined();
    const nested = compileVerb(spec({ words: ["upload"], place: "nested" }));
    expect(nested(cmd({ words: ["upload"] }))).toBeUndefined();
    expect(nested(cmd({ words: ["x", "upload"] }))).toBe("upload");
    expect(nested(cmd({ words: ["x", "y", "z", "upload"] }))).toBe("upload");
  });

  it("word_match: a regular expression over the words, the matching word returned", () => {
    const t = compileVerb(spec({ word_match: "^print-.*token$" }));
    expect(t(cmd({ words: ["auth", "print-access-token"] }))).toBe("print-access-token");
    expect(t(cmd({ words: ["auth", "print-access"] }))).toBeUndefined();
  });

  it("follows: the word before it; before: the word after it (its first comma part)", () => {
    const f = compileVerb(spec({ words: ["list"], follows: ["keys"] }));
    expect(f(cmd({ words: ["keys", "list"] }))).toBe("list");
    expect(f(cmd({ words: ["list", "keys"] }))).toBeUndefined();
    expect(f(cmd({ words: ["other", "list"] }))).toBeUndefined();
    // a later occurrence can still follow
    expect(f(cmd({ words: ["list", "keys", "list"] }))).toBe("list");
    const b = compileVerb(spec({ words: ["get"], before: ["secret"] }));
    expect(b(cmd({ words: ["get", "secret"] }))).toBe("get");
    expect(b(cmd({ words: ["get", "secret,other"] }))).toBe("get");
    expect(b(cmd({ words: ["get", "other,secret"] }))).toBeUndefined();
    expect(b(cmd({ words: ["get"] }))).toBeUndefined();
  });

  it("operand_match: a later word must match", () => {
    const t = compileVerb(spec({ words: ["rm"], operand_match: "^gs://" }));
    expect(t(cmd({ words: ["rm", "x", "gs://b/o"] }))).toBe("rm");
    expect(t(cmd({ words: ["gs://b/o", "rm", "x"] }))).toBeUndefined();
    const f = compileVerb(spec({ flags: ["--force"], operand_match: "^gs://" }));
    expect(f(cmd({ flags: ["--force"], words: ["gs://b"] }))).toBe("--force");
    expect(f(cmd({ flags: ["--force"], words: ["b"] }))).toBeUndefined();
  });

  it("flags: the first of them present, returned", () => {
    const t = compileVerb(spec({ flags: ["--show-secrets", "-S"] }));
    expect(t(cmd({ flags: ["-v", "-S"] }))).toBe("-S");
    expect(t(cmd({ flags: ["-v"], words: ["--show-secrets"] }))).toBeUndefined();
  });

  it("option_values: the word may be an option's value", () => {
    const t = compileVerb(spec({ words: ["push"], option_values: ["-m", "--mode"] }));
    expect(t(cmd({ options: { "--mode": ["push"] } }))).toBe("push");
    expect(t(cmd({ options: { "-x": ["push"] } }))).toBeUndefined();
    const re = compileVerb(spec({ word_match: "^pu", option_values: ["-m"] }));
    expect(re(cmd({ options: { "-m": ["pull"] } }))).toBe("pull");
  });

  it("program_too: the program's name counts as a word", () => {
    const w = compileVerb(spec({ words: ["dropdb"], program_too: true }));
    expect(w(cmd({ program: "dropdb" }))).toBe("dropdb");
    expect(w(cmd({ program: "createdb" }))).toBeUndefined();
    const re = compileVerb(spec({ word_match: "^drop", program_too: true }));
    expect(re(cmd({ program: "dropuser" }))).toBe("dropuser");
    expect(compileVerb(spec({ words: ["dropdb"] }))(cmd({ program: "dropdb" }))).toBeUndefined();
  });
});

describe("compileVerb: the option filters", () => {
  it("unless_options: parsed flags, options, whole argv words and `name=`", () => {
    const t = compileVerb(spec({ words: ["upload"], unless_options: ["--dry", "-n"] }));
    const w = ["upload"];
    expect(t(cmd({ words: w }))).toBe("upload");
    expect(t(cmd({ words: w, flags: ["-n"] }))).toBeUndefined();
    expect(t(cmd({ words: w, options: { "--dry": ["1"] } }))).toBeUndefined();
    expect(t(cmd({ words: w, argv: ["upload", "--dry=1"] }))).toBeUndefined();
    expect(t(cmd({ words: w, argv: ["upload", "-n"] }))).toBeUndefined();
    // a word without a leading dash is no option
    expect(t(cmd({ words: w, argv: ["upload", "n"] }))).toBe("upload");
    expect(t(cmd({ words: w, argv: ["upload", "--dryer"] }))).toBe("upload");
  });

  it("with_options: counts only with one of them", () => {
    const t = compileVerb(spec({ words: ["delete"], with_options: ["--project"] }));
    expect(t(cmd({ words: ["delete"] }))).toBeUndefined();
    expect(t(cmd({ words: ["delete"], argv: ["delete", "--project=p"] }))).toBe("delete");
    expect(t(cmd({ words: ["delete"], options: { "--project": ["p"] } }))).toBe("delete");
  });

  it("with_path: counts only with a local path the command reads, writes or names", () => {
    const t = compileVerb(spec({ words: ["serve"], with_path: true }));
    const w = ["serve"];
    expect(t(cmd({ words: w }))).toBeUndefined();
    expect(t(cmd({ words: w, paths: [local("./d")] }))).toBe("serve");
    expect(t(cmd({ words: w, paths: [local("./d", "read")] }))).toBe("serve");
    expect(t(cmd({ words: w, paths: [local("./d", "write")] }))).toBe("serve");
    expect(t(cmd({ words: w, paths: [local("./d", "delete")] }))).toBeUndefined();
    expect(t(cmd({ words: w, paths: [local("h:/d", "operand", true)] }))).toBeUndefined();
    expect(t(cmd({ words: w, paths: [local("./d", "operand", false)] }))).toBe("serve");
  });

  it("remote_host: a host option or URL naming another host than the guest", () => {
    const t = compileVerb(spec({ words: ["flush"], remote_host: true }));
    const w = ["flush"];
    expect(t(cmd({ words: w }))).toBeUndefined();
    expect(t(cmd({ words: w, options: { "--host": ["db.example"] } }))).toBe("flush");
    expect(t(cmd({ words: w, options: { "--host": ["localhost"] } }))).toBeUndefined();
    expect(t(cmd({ words: w, options: { "-h": ["127.0.0.1:6379"] } }))).toBeUndefined();
    expect(t(cmd({ words: w, argv: ["flush", "--server=db.example"] }))).toBe("flush");
    expect(t(cmd({ words: w, argv: ["flush", "--hostname", "db.example"] }))).toBe("flush");
    expect(t(cmd({ words: w, argv: ["flush", "--hostname"] }))).toBeUndefined();
    expect(t(cmd({ words: w, argv: ["flush", "--hostname=localhost"] }))).toBeUndefined();
    expect(t(cmd({ words: w, argv: ["flush", "https://db.example/x"] }))).toBe("flush");
    expect(t(cmd({ words: w, argv: ["flush", "http://localhost:8080/x"] }))).toBeUndefined();
    expect(t(cmd({ words: w, argv: ["flush", "--port=db.example"] }))).toBeUndefined();
  });
});

describe("compileVerb: a copy to a remote location", () => {
  const remote = [/^sftp:\/\//i, /^rest:/i];
  const t = compileVerb(spec({ remote_destination: true }), remote);
  it("the last operand remote, a local path operand before it", () => {
    const c = cmd({
      words: ["./src", "sftp://h/backup"],
      paths: [local("./src")],
    });
    expect(t(c)).toBe("sftp://h/backup");
    // remote first, local last: a download
    expect(
      t(cmd({ words: ["sftp://h/backup", "./dst"], paths: [local("./dst")] })),
    ).toBeUndefined();
    // no local path operand
    expect(t(cmd({ words: ["x", "sftp://h/b"] }))).toBeUndefined();
    expect(
      t(cmd({ words: ["x", "sftp://h/b"], paths: [local("./src", "operand", true)] })),
    ).toBeUndefined();
    expect(t(cmd({ words: ["x", "sftp://h/b"], paths: [local("sftp://h/b")] }))).toBeUndefined();
    expect(t(cmd({ words: ["x", "sftp://h/b"], paths: [local("./src", "read")] }))).toBeUndefined();
  });

  it("or an option's value names it", () => {
    const paths = [local("./src")];
    expect(
      t(cmd({ words: ["backup", "./src"], options: { "-r": ["rest:http://h/x"] }, paths })),
    ).toBe("rest:http://h/x");
    expect(
      t(cmd({ words: ["backup", "./src"], argv: ["--repo=rest:h", "backup", "./src"], paths })),
    ).toBe("rest:h");
    expect(
      t(cmd({ words: ["backup", "./src"], argv: ["-r", "rest:h", "backup", "./src"], paths })),
    ).toBe("rest:h");
    // a remote word that is no option's value and not last
    expect(
      t(cmd({ words: ["backup", "./src"], argv: ["rest:h", "backup", "./src"], paths })),
    ).toBeUndefined();
    expect(
      t(cmd({ words: ["backup", "./src"], argv: ["x=rest:h", "backup", "./src"], paths })),
    ).toBeUndefined();
  });
});

describe("compileVerb: packet capture", () => {
  const t = compileVerb(spec({ capture_filter: true }));
  it.each([
    [["host", "h.example", "and", "port", "80"], "host h.example and port 80"],
    [["src", "10.0.0.1"], "src 10.0.0.1"],
    [["dst", "host", "h.example"], "dst host h.example"],
    [["net", "10.0.0.0/8"], "net 10.0.0.0/8"],
    [["tcp", "port", "22"], "tcp port 22"],
    [["portrange", "1-1024", "and", "tcp"], "portrange 1-1024 and tcp"],
    [["ether", "aa:bb:cc:dd:ee:ff"], "ether aa:bb:cc:dd:ee:ff"],
    [["gateway", "h.example"], "gateway h.example"],
    [["not", "port", "22", "and", "less", "128"], "not port 22 and less 128"],
  ])("%j", (words, want) => {
    expect(t(cmd({ words }))).toBe(want);
  });

  it.each([
    [["port", "8080"]],
    [["portrange", "1-2"]],
    [["port", "x"]],
    [["host", "h"]],
    [["tcp"]],
    [["ether", "aa:bb"]],
    [["upload", "host", "h.example"]],
    [["host"]],
  ])("not %j", (words) => {
    expect(t(cmd({ words }))).toBeUndefined();
  });

  it("-w writes a capture file; an option's value is no part of the filter", () => {
    expect(t(cmd({ argv: ["-w", "out.pcap"] }))).toBe("-w");
    expect(t(cmd({ argv: ["-w", "out.PCAPNG"] }))).toBe("-w");
    expect(t(cmd({ options: { "-w": ["x.pcap"] }, argv: ["-w", "x.pcap"] }))).toBe("-w");
    expect(t(cmd({ argv: ["-w", "out.txt"] }))).toBeUndefined();
    expect(t(cmd({ argv: ["-w"] }))).toBeUndefined();
    expect(t(cmd({ options: { "-w": ["x.pcap"] } }))).toBeUndefined();
    const words = ["eth0", "port", "22", "and", "tcp"];
    expect(t(cmd({ words, argv: ["-i", ...words] }))).toBe("port 22 and tcp");
    expect(t(cmd({ words, argv: ["--i", ...words] }))).toBeUndefined();
    expect(t(cmd({ words }))).toBeUndefined();
  });
});

describe("verbEffects on verbs.yaml", () => {
  const guest: Target = { remote: false, known: true };
  const remoteTarget: Target = { remote: true, known: true, name: "h" };
  const unnamed: Target = { remote: false, known: false };

  it("an effect per entry read, with its reason, command index and remote target", () => {
    const c = cmd({ program: "mycli", words: ["upload", "f"] });
    expect(verbEffects(c, 3, remoteTarget)).toEqual([
      {
        kind: "send",
        id: "verb.upload",
        reason: expect.stringMatching(/^mycli upload: .+ \(program-independent knowledge\)$/),
        // a send is not a targeted effect: it is judged the same wherever the service runs
        remote: false,
        command: 3,
      },
    ]);
  });

  it("a targeted effect against a remote target is remote", () => {
    const del = cmd({ program: "mycli", words: ["delete", "x"] });
    expect(verbEffects(del, 0, remoteTarget).map((e) => [e.id, e.kind, e.remote])).toEqual([
      ["verb.service-destroy", "destroy", true],
    ]);
    // the verb as the subcommand itself is placed nowhere else: local
    expect(verbEffects(del, 0, unnamed).map((e) => [e.id, e.remote])).toEqual([
      ["verb.service-destroy", false],
    ]);
  });

  it("a NOUN VERB delete nothing places on the guest is remote (ADR 0018)", () => {
    const del = cmd({ program: "mycli", words: ["cache", "delete", "x"] });
    const [e] = verbEffects(del, 0, unnamed);
    expect(e?.remote).toBe(true);
    expect(e?.reason).toMatch(/nothing places the object on the guest/);
    expect(verbEffects(del, 0, guest)[0]?.remote).toBe(false);
    const withPath = { ...del, paths: [local("./x")] };
    expect(verbEffects(withPath, 0, unnamed)[0]?.remote).toBe(false);
    const localHost = { ...del, options: { "--host": ["localhost"] } };
    expect(verbEffects(localHost, 0, unnamed)[0]?.remote).toBe(false);
  });

  it("none under a universal dry run, or for an ssh remote command", () => {
    const words = ["upload", "f"];
    expect(verbEffects(cmd({ program: "mycli", words }), 0, unnamed)).toHaveLength(1);
    expect(verbEffects(cmd({ program: "mycli", words, flags: ["--dry-run"] }), 0, unnamed)).toEqual(
      [],
    );
    expect(
      verbEffects(cmd({ program: "mycli", words, argv: ["upload", "--dry-run=true"] }), 0, unnamed),
    ).toEqual([]);
    expect(
      verbEffects(cmd({ program: "mycli", words, tags: ["remote-command"] }), 0, unnamed),
    ).toEqual([]);
  });
});
