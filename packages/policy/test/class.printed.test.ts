// Tests by class over credentials a tool prints through a subcommand (knowledge/verbs.yaml
// verb.resource-keys, verb.secret-noun-after, verb.key-noun-after, verb.showconf,
// verb.config-raw): a resource's access keys listed, a password-manager entry or password got, a
// private key shown, an interface's configuration with its keys, a client's configuration printed
// raw. Made-up program names no knowledge names, then real programs with the rules that name them
// disabled, so that only the program-independent layer reads them. Expectations by hand, from the
// principle: printing a credential is `deny`; listing ids, public keys or entries is not.
import { sides, sidesWithout } from "./sides.js";

describe("a named resource's keys listed are its access keys", () => {
  sides(
    [
      "cloudx storage account keys list -g rg -n acct",
      "dbx keys list --name acct --resource-group rg",
    ],
    [
      // an identity's keys are listed by id and date only
      "cloudx iam service-accounts keys list --iam-account a@p",
      "cloudx storage account list -g rg",
      "cloudx storage account keys renew -g rg -n acct",
    ],
  );
});

describe("a read verb with a password or an entry right after it", () => {
  sides(
    ["pmx get item github", "pmx get password github", "pmx show totp github"],
    [
      "pmx list items",
      "pmx create item",
      "pmx set password x",
      // a template of an entry, not an entry
      "pmx get template item",
      "pmx get item --help",
    ],
  );
});

describe("a private key named after its object, behind a read verb", () => {
  sides(
    ["tunx show tun0 private-key", "tunx show all preshared-keys"],
    [
      "tunx show tun0 public-key",
      "tunx show",
      "tunx set tun0 private-key ./k",
      // a file named like a key, handed to a program with no read verb
      "modx 600 private-key",
    ],
  );
});

describe("an interface's whole configuration carries its private key", () => {
  sides(["tunx showconf tun0"], ["tunx show tun0", "tunx show", "tunx setconf tun0 a.conf"]);
});

describe("a client's configuration printed raw", () => {
  sides(["kubex config view --raw"], ["kubex config view", "kubex config view --minify"]);
});

describe("real clients, without the rules that name them", () => {
  sidesWithout(
    ["cred.print-secret", "k.cred.store", "readonly.tools"],
    [
      "wg showconf wg0",
      "sudo wg showconf wg0",
      "wg show wg0 private-key",
      "wg show all preshared-keys",
      "bw get item github",
      "bw get password github",
      "az storage account keys list -g rg -n acct",
      "kubectl config view --raw",
    ],
    // `wg show` prints public keys, endpoints and counters only
    [
      "wg show",
      "wg show wg0",
      "wg show wg0 public-key",
      "bw list items --search github",
      "bw get template item",
      "kubectl config view",
    ],
  );
});
