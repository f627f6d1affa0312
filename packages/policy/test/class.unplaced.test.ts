// Tests by class over where a client's delete acts when nothing places it (ADR 0018,
// src/knowledge/verbs.ts unplacedRemote). The programs are made-up names no knowledge names
// (`cloudx`, `forgex`), so only the program-independent layer reads them; the known programs
// (docker, npm, git) keep what their knowledge says. Expectations by hand, from the principle:
// a `NOUN VERB` delete of a named object is on the service the client talks to unless the
// command, the knowledge or the system's documentation places it on the guest. Also a cluster
// object's label, annotation or taint removed (`KEY-`, verb.cluster-key-remove): kubectl(1)'s
// removal syntax, the cluster's state whichever client changes it. A managed resource's
// taint (verb.taint) and a machine stopped or reset by number (verb.numbered-stop).
import { decide, loadPolicy } from "../src/policy.js";
import { sides } from "./sides.js";

const policy = loadPolicy();
const verdict = (cmd: string): string => decide(policy, cmd).decision;

describe("an unknown client's NOUN VERB delete of a named object is remote", () => {
  it.each([
    "cloudx group delete -n name",
    "cloudx compute snapshots delete snap-1",
    "forgex cache delete 1234",
    "forgex label delete bug",
    "iacx state delete",
    "iacx config rm key",
    "iacx env rm staging key",
    "cloudx auth revoke",
    "cloudx lock delete -n lock",
    "cloudx policy disable pack-1",
    "iacx res untaint aws_instance.web",
    "cloudx tokens purge --all",
    "cloudx keys deregister k1",
  ])("%s → deny", (cmd) => {
    expect(verdict(cmd)).toBe("deny");
  });
});

describe("what places the object on the guest keeps it transact", () => {
  it.each([
    // the verb is the subcommand itself: package managers and file tools (`PROG rm x`)
    ["pkgx rm left-pad", "the verb is the subcommand"],
    ["pkgx remove dep1 dep2", "the verb is the subcommand"],
    // a local path operand: the object is a file of the guest
    ["notesx entry rm ./notes/a.md", "a local path operand"],
    ["vcsx worktree remove ../wt/x", "a local path operand"],
    // a noun that names an object of the machine the client runs on
    ["toolx toolchain remove nightly", "a local toolchain"],
    ["toolx component rm clippy", "a toolchain's component"],
    ["versx plugin remove nodejs", "a plugin installed here"],
    ["versx plugins rm node", "a plugin installed here"],
    ["versx alias delete default", "a shell alias"],
    ["nbx kernelspec remove python3", "a kernel spec"],
    ["envx virtualenv delete venv1", "a virtual environment"],
    ["edx extensions rm ms-python.python", "an extension installed here"],
    // stopping a service or container is not a deletion
    ["composex svc stop web", "stop is not a delete"],
    // a target named on the guest
    ["cloudx --host localhost group delete -n g", "a host option naming the guest"],
    ["apix http://localhost:8080 items delete 1", "a URL on the guest"],
    // a universal dry-run option
    ["cloudx group delete -n g --dry-run", "a dry run"],
  ])("%s → transact (%s)", (cmd) => {
    expect(verdict(cmd)).toBe("transact");
  });

  it.each([
    // hand-written knowledge names these programs: their entries say what is remote
    "docker volume rm data",
    "docker network rm net1",
    "npm pkg delete scripts.build",
    "git remote remove origin",
    "git notes remove HEAD",
  ])("%s → transact (a program knowledge names)", (cmd) => {
    expect(verdict(cmd)).toBe("transact");
  });

  it("a program this system documents (a generated option grammar) is a local tool", () => {
    // ansible-galaxy has no hand-written knowledge; its option grammar comes from its manual page
    expect(verdict("ansible-galaxy role remove geerlingguy.docker")).toBe("transact");
  });

  it("a remote target found by the service reading still decides first", () => {
    expect(verdict("cloudx --host api.example.com group delete -n g")).toBe("deny");
  });

  it("the reason says why it is taken to be remote", () => {
    const d = decide(policy, "forgex cache delete 1234");
    expect(d.reasons.join(" ")).toMatch(/nothing places the object on the guest/);
  });
});

describe("a label, annotation or taint removed from a cluster object changes the cluster", () => {
  sides(
    [
      "kubex label po web-1 tier-",
      "kubex label pods web-1 app.kubernetes.io/name-",
      "kubex annotate deploy web note-",
      "kubex taint no n1 dedicated-",
      "kubex taint nodes n1 dedicated:NoSchedule-",
    ],
    [
      "kubex label po web-1 tier=front",
      "kubex taint no n1 k=v:NoSchedule",
      "kubex annotate deploy web note=x",
      // not a cluster object kind: a local tool's own `label`
      "diskx label sda1 data-",
    ],
  );
});

describe("a managed resource's taint or untaint changes the shared infrastructure state", () => {
  sides(
    [
      "iacx taint aws_instance.web",
      "iacx taint -allow-missing google_compute_instance.vm[0]",
      "iacx untaint -lock=false module.net.azurerm_subnet.a",
    ],
    // a node's name is a DNS name: no underscore, not a resource address
    ["kubex taint no node1.example.com k=v:NoSchedule", "iacx taint", "iacx plan"],
  );
});

describe("a machine stopped or reset by number is another guest of the hypervisor", () => {
  sides(
    ["hvx stop 100", "hvx reset 101 --skiplock true", "ctx shutdown 2001", "hvx suspend 100"],
    ["svcx stop web", "hvx stop", "pmx stop 0", "pmx stop 12", "hvx start 100", "hvx status 100"],
  );
});

describe("a compound delete verb is read by its verb", () => {
  sides(
    ["cloudx tag remove-value -n t --value v", "cloudx s3api delete-object --key k"],
    [
      "cloudx tag list-values",
      "pkgx remove-orphans",
      "cloudx s3api delete-object --key k --dryrun",
    ],
  );
});

describe("a local file copied to `host:/path` leaves the guest, unless the client acts on it", () => {
  sides(
    [
      "cpx ./f pod:/tmp/x",
      "cpx ./f ns/pod:/tmp/x",
      "DOCKER_HOST=tcp://10.0.0.5:2375 docker cp ./f web:/app/",
    ],
    // the guest's docker (services.yaml: docker acts locally), a download, a URL, a drive letter
    [
      "docker cp ./f web:/app/",
      "podman cp ./f web:/app/",
      "cpx pod:/tmp/x ./f",
      "brewx tap user/repo https://forge.example/user/repo.git",
      "cp ./a C:/x",
    ],
  );
});

// A path on another host (`host:/dir/x`, `user@host:dir/x`) does not place the deleted object on
// the guest: a program with no copier syntax reads it as a relative path (it has a slash), and the
// unplaced delete's local-path test must tell it apart (verbs.ts unplacedRemote, the remote
// locations of verbs.yaml). A local path, and a path the command writes (a log file), still do.
describe("a delete naming a path on another host is not placed on the guest by it", () => {
  sides(
    [
      "toolx item delete host:/dir/x",
      "storex obj rm backup-1.example:/srv/a",
      "toolx item delete u@h:dir/x",
    ],
    [
      "toolx item delete ./dir/x",
      "toolx item delete host:/dir/x --log /tmp/l",
      "storex obj rm /srv/a",
    ],
  );
});

describe("serving a path on another host serves nothing of the guest", () => {
  sides(["webx serve ./public"], ["webx serve host:/srv/x", "webx serve u@h:site"]);
});
