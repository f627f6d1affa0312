// Tests by class over remote publishing and host access outside the guest: a build tool's
// lifecycle phase that runs a plugin goal documented as publishing (src/knowledge/described.ts:
// mvn's `deploy` phase runs `deploy:deploy`, "Deploys an artifact to remote repository."), and a
// debugging pod on a cluster node (knowledge/verbs.yaml verb.node-debug). Real programs with the
// rules that name them disabled, so that only the generated descriptions and the
// program-independent verbs read them. Expectations by hand, from the principle: publishing to a
// shared repository and root on a cluster's node are `deny`; building, installing locally and
// debugging a pod in its own namespaces are not.
import { sides, sidesWithout } from "./sides.js";

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
