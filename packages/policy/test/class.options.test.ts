// Tests by class over the hand-written option grammars (src/facts/specs/*.ts, read by
// src/facts/argspec.ts). The expectations below are written from each program's manual page or
// --help text (the SYNOPSIS and OPTIONS sections), not from the tables: an option documented as
// taking a value must swallow the next word, a documented flag must not. A table entry deleted or
// misspelt, or a parser branch that reads entries of one class, makes one of these fail.
import { parseArgs, specOf } from "../src/facts/argspec.js";

/**
 * Options documented as taking a required value, by program (a key with a space is a git
 * subcommand). Options whose value is optional or attached-only are left out on purpose (cp
 * --backup[=CONTROL], grep --color[=WHEN] and git --pretty[=FMT] are tested below; make -j [N],
 * journalctl -b [ID], iptables -w [s], script -t[file], git --exec-path[=path], mysqladmin
 * -p[password]), and so are the single-dash
 * long options of programs whose grammar bundles short ones (mvn -pl, zip -TT): see
 * docs/mutation/survivors.md.
 */
const VALUED: Record<string, string> = {
  git: "-C -c --git-dir --work-tree --namespace --super-prefix --config-env --attr-source",
  "git checkout": "-b -B --orphan --conflict",
  "git switch": "-c -C --create --force-create --orphan --conflict",
  "git branch":
    "-u --set-upstream-to --contains --no-contains --sort --format --points-at --merged --no-merged",
  "git commit":
    "-m --message -F --file -C -c --author --date --fixup --squash -t --template --trailer",
  "git tag": "-m --message -F --file -u --local-user --sort --format",
  "git push": "--repo --receive-pack --exec -o --push-option --recurse-submodules",
  "git restore": "-s --source --conflict --pathspec-from-file",
  "git clean": "-e --exclude",
  "git stash": "-m --message",
  "git worktree": "-b -B --reason",
  "git config": "--file -f --blob --type --default --comment",
  "git log": "-n --max-count --since --until --author --grep --output -L",
  "git diff": "--output -U --unified --diff-filter -S -G",
  "git show": "-U",
  gh: "-R --repo -b --body -t --title",
  curl:
    "-X --request -d --data --data-binary --data-raw --data-ascii --data-urlencode -F --form " +
    "--form-string -T --upload-file -H --header -o --output -u --user -A --user-agent -e " +
    "--referer -b --cookie -c --cookie-jar -x --proxy -m --max-time --connect-timeout -w " +
    "--write-out -K --config --json --retry -r --range -E --cert --key --cacert --resolve -U " +
    "--proxy-user -z --time-cond -y -Y --limit-rate --url",
  wget:
    "-O --output-document -o --output-file -P --directory-prefix --post-data --post-file " +
    "--body-data --body-file --method --header -U --user-agent -t --tries -T --timeout -e " +
    "--execute -i --input-file --user --password",
  rsync:
    "-e --rsh --exclude --include --filter -f --files-from --rsync-path --password-file " +
    "--log-file --backup-dir --chmod --chown -T --temp-dir",
  scp: "-P -i -o -F -c -l -S -J -D -X",
  ssh: "-b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w -B",
  nc: "-e -c -p -s -w -i -q -x -X -O -I -T -V",
  ncat: "-e --exec -c --sh-exec --lua-exec -p -s -w -i -o -x --proxy",
  whois: "-h -p",
  rclone: "--config --exclude --include --filter --transfers --checkers --backup-dir",
  restic:
    "-r --repo --password-file --keep-last --keep-daily --keep-weekly --keep-monthly --tag --host",
  borg: "-a --glob-archives --prefix",
  nats: "-s --server --creds --context",
  kubectl:
    "-n --namespace --context --cluster --kubeconfig -l --selector -o --output -f --filename " +
    "-c --container --user -s --server --token",
  helm: "-n --namespace --kube-context --kubeconfig -f --values --set --version",
  docker:
    "-H --host --context -c --config -l --log-level -v --volume --mount -e --env --name -p " +
    "--publish -w --workdir -u --user --network --entrypoint --env-file --filter -f --format " +
    "--label --cap-add --security-opt --pid --ipc --device --tag --platform --restart -m " +
    "--memory --cpus --hostname --add-host --volumes-from --userns --cgroupns --uts",
  aws: "--profile --region --output --endpoint-url --query --cli-input-json --exclude --include",
  gcloud: "--project --zone --region --format --account --configuration",
  az: "-g --resource-group -n --name --subscription -o --output --query",
  terraform: "-chdir -var -var-file -target",
  tofu: "-chdir -var -var-file -target",
  velero: "-n --namespace --selector -l",
  doppler: "-p --project -c --config --token",
  op: "--vault --account --format",
  vault: "-address -namespace -format -mount",
  circleci: "--org-slug --token --host",
  "gitlab-runner": "--name -c --config --token --url",
  psql: "-c --command -d --dbname -h --host -p --port -U --username -f --file -v --set -o --output",
  mysql:
    "-e --execute -u --user -h --host -P --port -D --database -S --socket --default-character-set",
  mariadb: "-e --execute -u --user -h --host -P --port -D --database",
  mysqladmin: "-u --user -h --host -P --port",
  "kafka-topics":
    "--bootstrap-server --topic --partitions --replication-factor --config --zookeeper",
  "redis-cli": "-h -p -a -n -u --user --pass",
  sqlite3: "-cmd -separator -newline -nullvalue",
  mongosh: "--eval --host --port -u --username -p --password -f --file",
  mongo: "--eval --host --port -u --username -p --password",
  tar:
    "-f --file -C --directory -I --use-compress-program --checkpoint-action --rsh-command " +
    "--to-command --info-script --new-volume-script -F -T --files-from -X --exclude-from " +
    "--exclude -b -H --format --owner --group --mode -K -N -L -V",
  unzip: "-d -P",
  zip: "-P -b -n --unzip-command",
  chmod: "--reference",
  chown: "--reference --from",
  cp: "-t --target-directory -S --suffix",
  mv: "-t --target-directory -S --suffix",
  install: "-t --target-directory -m --mode -o --owner -g --group -S --suffix",
  ln: "-t --target-directory -S --suffix",
  sed: "-e --expression -f --file -l --line-length",
  grep: "-e --regexp -f --file -m --max-count -A -B -C --include --exclude --exclude-dir --label",
  rg:
    "-e --regexp -f --file -g --glob -t --type -T --type-not -m --max-count -A -B -C --pre -r " +
    "--replace -j --threads --sort --color",
  shred: "-n --iterations -s --size --random-source",
  truncate: "-s --size -r --reference",
  fallocate: "-l --length -o --offset",
  head: "-n --lines -c --bytes",
  tail: "-n --lines -c --bytes --pid -s --sleep-interval",
  split:
    "-b --bytes -l --lines -n --number -a --suffix-length --filter -C --line-bytes " +
    "--additional-suffix",
  vim: "-c --cmd -S -u -U -i -T -w -W -s",
  systemctl:
    "-H --host -M --machine -t --type --state -p --property -n --lines -o --output -s --signal " +
    "--kill-whom",
  journalctl: "-u --unit -p --priority -o --output -S --since -U --until -t --identifier",
  iptables:
    "-t --table -A --append -D --delete -I --insert -R --replace -N --new-chain -E -j --jump -s " +
    "--source -d --destination -p --protocol -i -o --dport --sport -m --match",
  kill: "-s --signal -n",
  useradd:
    "-u --uid -g --gid -G --groups -d --home-dir -s --shell -c --comment -p --password -e -f -k -K",
  usermod:
    "-u --uid -g --gid -G --groups -d --home -s --shell -c --comment -p --password -l --login",
  crontab: "-u",
  ip: "-n -netns -f -family",
  openssl: "-connect -in -out -pass -k -K -iv -md -passin -passout -inkey -key -cert",
  su: "-c --command -s --shell -g --group -G -w",
  runuser: "-c --command -s --shell -g --group -G -u --user -w",
  script: "-c --command -E --echo -I -O -B -T",
  compgen: "-A -C -F -G -P -S -W -X -o",
  "apt-get": "-o --option -c --config-file -t --target-release",
  apt: "-o --option -c --config-file -t --target-release",
  java: "-jar -cp -classpath --class-path",
  npm: "--prefix -w --workspace --registry --tag --otp",
  mvn: "-f --file -P --activate-profiles --projects -s --settings -D",
  gradle: "-p --project-dir -b --build-file -x --exclude-task -D -P",
  gradlew: "-p --project-dir -b --build-file -x --exclude-task -D -P",
  make: "-C --directory -f --file --makefile -I --include-dir -o -W --eval",
};

/** Documented flags (no value): the word after them stays an operand. */
const FLAGS: Record<string, string> = {
  "git commit": "-a -v -q -s -n",
  "git push": "-f -u -n -q",
  curl: "-s -S -k -L -v -I -f -O -i -G",
  wget: "-q -c -N -r -k -p",
  rsync: "-a -v -z -n -r -l -p -t -g -o -D -H -P",
  scp: "-r -p -q -C -v",
  ssh: "-A -N -T -t -v -f -q -C -a -x",
  tar: "-x -c -t -v -z -j -J -p",
  rm: "-r -f -i -v -d",
  cp: "-r -a -v -f -p -n -u",
  mv: "-f -n -v -u",
  grep: "-r -i -v -l -n -E -F -w -x -q",
  sed: "-n -i -E -r -s -z",
  tail: "-f -F -q",
  systemctl: "-a -q --now --user --system -l",
  journalctl: "-f -r -x -k -a -q",
  docker: "-d -i --rm -P",
  kubectl: "-A -w -R",
  make: "-k -n -s -B -i",
};

/** The program and its subcommand words (`git commit` → `git`, `["commit"]`). */
function split(key: string): [string, string[]] {
  const [program, ...sub] = key.split(" ");
  return [program!, sub];
}

/** The options of a program that do not parse as `opt VALUE operand` with VALUE as their value. */
function misread(key: string, list: string, attached: boolean): string[] {
  const [program, sub] = split(key);
  const spec = specOf(program);
  return list.split(" ").filter((opt) => {
    const short = /^-[^-]$/.test(opt);
    const argv = attached && short ? [opt + "VALUE"] : [opt, "VALUE"];
    const p = parseArgs([...sub, ...argv, "operand"], spec);
    const name = opt.startsWith("--") ? opt.toLowerCase() : opt;
    return (
      JSON.stringify(p.positionals) !== JSON.stringify([...sub, "operand"]) ||
      JSON.stringify(p.options[name]) !== JSON.stringify(["VALUE"])
    );
  });
}

describe("options documented as taking a value swallow the next word", () => {
  it.each(Object.entries(VALUED))("%s", (key, list) => {
    expect(misread(key, list, false)).toEqual([]);
  });
});

describe("a short valued option takes the rest of its bundle as its value", () => {
  // longSingleDash programs read `-var` as one word, not a bundle: their short forms do not apply
  const bundling = Object.entries(VALUED).filter(
    ([key]) => !["terraform", "tofu", "vault", "sqlite3", "ip", "openssl", "java"].includes(key),
  );
  it.each(bundling.filter(([, list]) => /(^| )-[^-]( |$)/.test(list)))("%s", (key, list) => {
    const shorts = list.split(" ").filter((o) => /^-[^-]$/.test(o));
    expect(misread(key, shorts.join(" "), true)).toEqual([]);
  });
});

describe("documented flags leave the next word an operand", () => {
  it.each(Object.entries(FLAGS))("%s", (key, list) => {
    const [program, sub] = split(key);
    const wrong = list.split(" ").filter((flag) => {
      const p = parseArgs([...sub, flag, "operand"], specOf(program));
      return JSON.stringify(p.positionals) !== JSON.stringify([...sub, "operand"]);
    });
    expect(wrong).toEqual([]);
  });
});

// getopt_long(3) and git's parse-options take an optional value only when attached with `=`:
// cp(1) --backup[=CONTROL], grep(1) --color[=WHEN], git-log(1)/git-show(1) --pretty[=FORMAT].
describe("an option with an optional value takes it only after `=`", () => {
  it.each([
    ["cp", "--backup", "t"],
    ["grep", "--color", "always"],
    ["git log", "--pretty", "oneline"],
    ["git show", "--pretty", "short"],
  ])("%s %s", (key, option, value) => {
    const [program, sub] = split(key);
    const next = parseArgs([...sub, option, "/srv/a", "/srv/b"], specOf(program));
    expect(next.positionals).toEqual([...sub, "/srv/a", "/srv/b"]);
    const attached = parseArgs([...sub, `${option}=${value}`, "/srv/a"], specOf(program));
    expect([attached.options[option], attached.positionals]).toEqual([[value], [...sub, "/srv/a"]]);
  });
});

describe("the parser's classes of words", () => {
  it("keeps a lone `-` (standard input) as an operand, also among single-dash long options", () => {
    expect(parseArgs(["-v", "-", "f"]).positionals).toEqual(["-", "f"]);
    expect(parseArgs(["-v", "-", "f"]).flags).toEqual(["-v"]);
    const tf = parseArgs(["-var", "a=1", "-", "x"], specOf("terraform"));
    expect(tf.positionals).toEqual(["-", "x"]);
    expect(tf.positionalIndex).toEqual([2, 3]);
  });

  it("reads a negative number as an operand (`kill -9`, `head -5`), not a bundle", () => {
    expect(parseArgs(["-9", "123"], specOf("kill"))).toMatchObject({
      flags: [],
      positionals: ["-9", "123"],
    });
  });

  it("ends options at `--`, except before git's subcommand", () => {
    expect(parseArgs(["--", "-rf", "x"], specOf("rm"))).toMatchObject({
      positionals: ["-rf", "x"],
      endOfOptions: true,
    });
    const git = parseArgs(["--", "reset", "--hard"], specOf("git"));
    expect(git.positionals).toEqual(["reset"]);
    expect(git.flags).toEqual(["--hard"]);
  });

  it("reads a single-dash long option as one word where the program does (terraform, vault)", () => {
    expect(parseArgs(["-chdir=/srv/a", "destroy"], specOf("terraform")).options).toEqual({
      "-chdir": ["/srv/a"],
    });
    expect(parseArgs(["-address", "https://v", "read", "x"], specOf("vault"))).toMatchObject({
      flags: ["-address"],
      positionals: ["read", "x"],
    });
    // rm has no such syntax: -rf is -r and -f
    expect(parseArgs(["-rf", "x"], specOf("rm")).flags).toEqual(["-r", "-f"]);
  });

  it("lower-cases long options only (`--HARD` is `--hard`, `-D` is not `-d`)", () => {
    expect(parseArgs(["reset", "--HARD"], specOf("git")).flags).toEqual(["--hard"]);
    expect(parseArgs(["branch", "-D", "x"], specOf("git")).flags).toEqual(["-D"]);
  });

  it("reads ssh's options only up to the remote command (options end at the 2nd operand)", () => {
    const p = parseArgs(["-p", "22", "h", "rm", "-rf", "/srv/x"], specOf("ssh"));
    expect(p.positionals).toEqual(["h", "rm", "-rf", "/srv/x"]);
    expect(p.flags).toEqual(["-p"]);
    expect(p.endOfOptions).toBe(true);
  });

  it("counts git's subcommand words: one for most, two for stash, worktree, remote…", () => {
    const two = ["stash", "reflog", "worktree", "remote", "submodule", "lfs", "notes", "bisect"];
    for (const sub of two)
      expect([sub, parseArgs([sub, "x", "y"], specOf("git")).subcommandLength]).toEqual([sub, 2]);
    for (const sub of ["reset", "gc", "clean", "update-ref", "push", "log"])
      expect([sub, parseArgs([sub, "x", "y"], specOf("git")).subcommandLength]).toEqual([sub, 1]);
  });

  it("consumes an optional value only when it is one of the listed words", () => {
    const spec = { optional: { "--track": ["direct", "inherit"] } };
    expect(parseArgs(["--track", "inherit", "b"], spec)).toMatchObject({
      options: { "--track": ["inherit"] },
      positionals: ["b"],
    });
    expect(parseArgs(["--track", "b"], spec)).toMatchObject({ options: {}, positionals: ["b"] });
  });

  it("leaves a valued option at the end of argv without a value", () => {
    expect(parseArgs(["x", "-f"], specOf("tar"))).toMatchObject({
      flags: ["-f"],
      options: {},
      positionals: ["x"],
    });
    expect(parseArgs(["x", "--file"], specOf("tar")).options).toEqual({});
  });
});
