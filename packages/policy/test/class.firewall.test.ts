// Tests by class over firewall rules deleted by their position rather than their text
// (verbs.yaml verb.firewall-rule-position): netfilter's `-D CHAIN N` (iptables(8) and its family),
// ufw(8)'s `delete N`, nft(8)'s `delete rule … handle N`. The command does not say which rule
// goes; the one that admits the orchestrator is as likely as any (deny). A rule deleted by its
// text names what goes and is judged by it. Programs beyond the ones the dev misses showed
// (ebtables, arptables, the -legacy builds, gufw-style names, made-up `*tables`).
import { sidesWithout } from "./sides.js";

const BY_POSITION = [
  "sudo iptables -D INPUT 3",
  "ip6tables -t nat -D PREROUTING 1",
  "iptables-legacy -w -D FORWARD 2",
  "ebtables -D OUTPUT 1",
  "arptables --delete INPUT 4",
  "qtables -D chain rule_line_number",
  "sudo ufw delete 2",
  "qfw delete rule_number",
  "nft delete rule inet filter input handle 5",
  "sudo nft delete rule ip nat postrouting handle 12",
];

// Also with the rules that name the firewalls (their log and lockout knowledge) disabled: the
// entry reads the syntax alone, as for a firewall nobody wrote knowledge for.
describe("a firewall rule deleted by its position", () => {
  sidesWithout(["log.tamper", "lockout.firewall"], BY_POSITION, [
    "todox delete 3",
    "qtables -L INPUT 3",
    "qfw delete allow 8080/tcp",
    "nftx delete table inet scratch",
    "qtables -D INPUT -p tcp --dport 8080 -j ACCEPT",
  ]);
});
