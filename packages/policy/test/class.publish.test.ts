// Tests by class over remote publishing and host access outside the guest: a build tool's
// lifecycle phase that runs a plugin goal documented as publishing (src/knowledge/described.ts:
// mvn's `deploy` phase runs `deploy:deploy`, "Deploys an artifact to remote repository."), and a
// debugging pod on a cluster node (knowledge/verbs.yaml verb.node-debug). Real programs with the
// rules that name them disabled, so that only the generated descriptions and the
// program-independent verbs read them. Expectations by hand, from the principle: publishing to a
// shared repository and root on a cluster's node are `deny`; building, installing locally and
// debugging a pod in its own namespaces are not.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { compileDescribed, describedIn } from "../src/knowledge/described.js";
import { sides, sidesWithout } from "./sides.js";

describe("a described PLUGIN:GOAL word, read for a made-up build tool", () => {
  const ctx = resolveContext({});
  const what = (cmd: string) =>
    describedIn(
      compileDescribed(
        [
          { words: ["ship:ship"], effect: "remote-change", rule: "remote.publish" },
          { words: ["stage:push-staged"], effect: "remote-change", rule: "remote.publish" },
          { words: ["push"], effect: "remote-change", rule: "remote.publish-verb" },
        ],
        [],
      ),
      extractFacts(cmd, ctx).commands[0]!,
    ).map((d) => d.what);
  it("counts anywhere among the phases and goals, and G:G as the phase G", () => {
    expect(what("bx ship")).toEqual(["ship"]);
    expect(what("bx clean ship")).toEqual(["ship"]);
    expect(what("bx clean ship:ship")).toEqual(["ship:ship"]);
    expect(what("bx clean stage:push-staged")).toEqual(["stage:push-staged"]);
  });
  it("a goal's plugin alone, another goal's phase or a plain word deeper is not", () => {
    expect(what("bx stage")).toEqual([]);
    expect(what("bx push-staged")).toEqual([]);
    expect(what("bx install")).toEqual([]);
    // a plain word keeps its place: the subcommand only
    expect(what("bx clean push")).toEqual([]);
    expect(what("bx push")).toEqual(["push"]);
  });
});

describe("a lifecycle phase runs the plugin goal named like it", () => {
  sidesWithout(
    ["cloud.publish"],
    ["mvn deploy", "mvn clean deploy", "mvn -DskipTests clean deploy", "mvn deploy:deploy"],
    ["mvn install", "mvn clean package", "mvn site", "mvn test"],
  );
});

describe("a debugging pod on a cluster node", () => {
  sides(
    ["kubex debug node/n1 -it --image=busybox", "ocx debug no/worker-2"],
    ["kubex debug web-1 -it --image=busybox", "kubex debug pod/web-1", "kubex get node/n1"],
  );
  sidesWithout(
    ["k.escape.kubectl-host"],
    ["kubectl debug node/node-1 -it --image=busybox"],
    ["kubectl debug web-1 -it --image=busybox --copy-to=web-debug"],
  );
});
