// Tests by class over a cluster's objects changed through kubectl(1)'s syntax, whichever client
// speaks it (kubectl, oc, kubecolor, `microk8s kubectl`, made-up names): objects deleted through
// the manifest that describes them (verbs.yaml verb.cluster-manifest-delete) and an environment
// variable removed from a workload with the `KEY-` syntax (verb.cluster-env-remove). The objects
// are the cluster's: no guest snapshot restores them (deny). Applying a manifest or setting a
// variable creates or updates and destroys nothing (transact under the principle).
import { sidesWithout } from "./sides.js";

const CHANGED = [
  "kubectl delete -f path/to/manifest.yaml",
  "kubectl delete --filename=app.yml",
  "kubectl delete -k overlays/prod/",
  "oc delete -f https://h.example/app.yaml",
  "kubecolor delete -f deploy.json",
  "microk8s kubectl delete -f ./k8s/",
  "kubex delete -f app.yaml --wait=false",
  "kubectl set env deploy/web DEBUG-",
  "oc set env deployment/api -c app LOG_LEVEL-",
];
const KEPT = [
  "kubectl apply -f app.yaml",
  "oc get -f app.yaml",
  "kubex delete -f notes.txt",
  "kubectl set env deploy/web DEBUG=1",
  "kubex set image deploy/web app=img:2",
];

// Also with the rules that name kubectl and oc disabled: the syntax alone decides, as for a
// client nobody wrote knowledge for.
describe("a cluster's objects deleted through a manifest, a workload's variable removed", () => {
  sidesWithout(["cloud.destroy", "cloud.k8s-remove-key"], CHANGED, KEPT);
});
