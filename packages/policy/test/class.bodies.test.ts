// Tests by class over local files sent as a request body by an option (knowledge/verbs.yaml
// verb.data-at-file, verb.post-file): curl's `@FILE` syntax in a data or form option of a client
// no knowledge names, and a `--post-file`-like option, with a URL of a host other than the guest.
// Expectations by hand, from the principle: a local file leaving the guest is `deny`; inline data
// (the agent's own text), a file sent to the guest itself, and downloads are not.
import { decide, loadPolicy } from "../src/policy.js";
import { sides } from "./sides.js";

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
