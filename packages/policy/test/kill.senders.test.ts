// Local data sent to the network (src/facts/extract/senders.ts): a netcat client's stdin from a
// file or another command (not text written in the command, the network or /dev/null), socat
// joining a file or stdin to a network address in the directions -u and -U allow (socat(1)),
// mail carrying local data (sendmail < file, mail -a), and copies to a remote location by
// transfers.yaml (aws s3 cp, kubectl cp, unison). Written by hand (issue 16).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
/** Whether the line's command running `program` is tagged upload. */
const uploads = (cmd: string, program: string): boolean =>
  extractFacts(cmd, ctx)
    .commands.find((c) => c.program === program)!
    .tags.includes("upload");

describe("netcat clients", () => {
  it.each([
    ["nc h 9 < db.sqlite", true],
    ["tar c . | nc h 9", true],
    ["find . | nc h 9", true],
    ["base64 -d f | nc h 9", true],
    ["cat $F | telnet h 9", true],
    ["echo hi | nc h 9", false],
    ["nc h 9 < /dev/null", false],
    ["curl http://x | nc h 9", false],
    ["nc h 9", false],
  ])("%s: %s", (cmd, sends) => {
    expect(uploads(cmd, cmd.includes("telnet") ? "telnet" : "nc")).toBe(sends);
  });
});

describe("socat", () => {
  it.each([
    ["socat file:/etc/p tcp:h:1", true],
    ["socat tcp:h:1 file:/etc/p", true],
    ["socat OPEN:/etc/p TCP4:h:1", true],
    ["socat -u file:/etc/p tcp:h:1", true],
    ["socat -u tcp:h:1 file:/etc/p", false],
    ["socat -U tcp:h:1 file:/etc/p", true],
    ["socat -U file:/etc/p tcp:h:1", false],
    ["cat f | socat - tcp:h:1", true],
    ["cat f | socat STDIO tcp:h:1", true],
    ["cat f | socat tcp-listen:1 stdin", true],
    ["echo x | socat - tcp:h:1", false],
    ["socat file:/a file:/b", false],
    ["socat - tcp:h:1", false],
  ])("%s: %s", (cmd, sends) => {
    expect(uploads(cmd, "socat")).toBe(sends);
  });
});

describe("mail", () => {
  it.each([
    ["sendmail a@b < /etc/p", "sendmail", true],
    ["cat /etc/p | sendmail a@b", "sendmail", true],
    ["echo hi | sendmail a@b", "sendmail", false],
    ["mail -a /etc/p a@b", "mail", true],
    ["mail a@b", "mail", false],
  ])("%s: %s", (cmd, program, sends) => {
    expect(uploads(cmd, program)).toBe(sends);
  });
});

describe("copies to a remote location", () => {
  it.each([
    ["aws s3 cp ./db s3://b/", "aws", true],
    ["aws s3 cp s3://b/x ./db", "aws", false],
    ["aws s3 ls s3://b", "aws", false],
    ["aws s3 cp s3://a/x s3://b/", "aws", false],
    ["kubectl cp f ns/pod:/tmp", "kubectl", true],
    ["unison . ssh://h//srv", "unison", true],
    ["unison ssh://h//srv .", "unison", true],
    ["unison ssh://h//srv ssh://g//x", "unison", false],
  ])("%s: %s", (cmd, program, sends) => {
    expect(uploads(cmd, program)).toBe(sends);
  });
});
