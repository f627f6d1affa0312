import { runCli } from "./support-io.js";

describe("usage errors in txbox's shape", () => {
  test.each([
    [["tx", "lsit"], "unknown command 'lsit'", "Did you mean list?; run txbox tx --help for usage"],
    [["frob"], "unknown command 'frob'", "run txbox --help for usage"],
    [["net", "apply", "--frob"], "unknown option '--frob'", "run txbox net apply --help for usage"],
    [
      ["run", "--", "ls"],
      "required option '--guest <vmid>' not specified",
      "run txbox run --help for usage",
    ],
  ])("%j", async (args, message, hint) => {
    const r = await runCli(args, { env: { TXBOX_NO_DAEMON: "1" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`txbox: error [E_USAGE]: ${message}\nhint: ${hint}\n`);
    expect(r.stdout).toBe("");
    const dd = args.indexOf("--");
    const withJson =
      dd < 0 ? [...args, "--json"] : [...args.slice(0, dd), "--json", ...args.slice(dd)];
    const j = await runCli(withJson, { env: { TXBOX_NO_DAEMON: "1" } });
    expect(j.code).toBe(2);
    expect(j.stderr).toBe("");
    expect(JSON.parse(j.stdout)).toMatchObject({ code: "E_USAGE", message, hint });
  });
});
