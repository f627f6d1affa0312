// Tests by class over secret stores read through their verbs (knowledge/verbs.yaml
// verb.secret-store-read, verb.show-password, verb.secret-noun-read): a program whose name says it
// keeps credentials, a read verb asked for the password, a secret read out by its noun. The
// programs are made-up names no knowledge names, so only the program-independent layer reads
// them. Expectations by hand, from the principle: printing a credential is `deny`; listing,
// inserting or logging in is not.
import { sides } from "./sides.js";

describe("a secret store's read verbs print a credential", () => {
  sides(
    [
      "xpass show mail/work",
      "xpass otp github",
      "xvault read secret/db",
      "xvault read -field=password secret/db",
      "xvault kv get secret/db",
      "xkeyring get svc user",
      "xkeychain-cli export",
      "secret-xtool get api",
      "xsecrets view app",
    ],
    [
      "xpass ls",
      "xpass insert mail/work",
      "xvault status",
      "xvault login",
      "xkeyring --help get",
      // names that end like a store but are not one: no store word at a boundary
      "compassx show",
      "xpasswd show",
    ],
  );
});

describe("a read verb asked for the password prints it", () => {
  sides(
    ["pmx show inbox --password", "pmx get entry --with-password", "pmx view e --pass"],
    ["pmx show inbox", "pmx login --password", "pmx list --password"],
  );
});

describe("a secret read out by its noun", () => {
  sides(
    ["vcsx secret reveal", "vcsx secret cat app.env", "cix password show db"],
    ["vcsx secret list", "vcsx secret hide", "vcsx secret tell user@x"],
  );
});
