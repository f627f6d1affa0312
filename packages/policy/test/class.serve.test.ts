// Tests by class over file servers an interpreter starts from its own command line (not from
// code): a standard module that serves the working directory (`python -m http.server`, Python 2's
// SimpleHTTPServer, pyftpdlib, uploadserver) or the language's built-in web server option (php(1)
// `-S ADDR:PORT`). Whoever reaches the port reads the guest's files: local data leaves the guest
// (deny), unless the server is bound to the loopback address. Expectations by hand, from the
// principle (issue 10: a network send of local data).
import { sides, sidesWithout } from "./sides.js";

const SERVED = [
  "python3 -m http.server",
  "python3 -m http.server 9090",
  "python -m http.server --bind 0.0.0.0 8000",
  "python2 -m SimpleHTTPServer 8080",
  "python3 -m pyftpdlib -p 2121",
  "python3 -m uploadserver",
  "php -S 0.0.0.0:80",
  "php -S host:port",
  "php --server 10.0.0.5:8080 -t public/",
  "cd /srv/www && php -S 0.0.0.0:8000",
];
const KEPT = [
  // bound to the loopback address: reached from the guest only
  "python3 -m http.server --bind 127.0.0.1 8000",
  "python3 -m http.server -b localhost",
  "php -S localhost:8000 -t public",
  "php -S 127.0.0.1:8080",
  // other modules and options: not a server
  "python3 -m pytest",
  "python3 -m pip install requests",
  "php -r 'echo 1;'",
  "php -l index.php",
];

// Also with the hand-written rule that names python and php (net.serve-files) disabled: the
// extractor's reading of the command line alone decides, as for an interpreter nobody wrote a
// rule for.
describe("an interpreter's own file server exposes the guest's files", () => {
  sidesWithout(["net.serve-files"], SERVED, KEPT);
});

// A file server's daemon as the program or a multi-call binary's applet (verbs.yaml
// verb.file-daemon), given the local directory it serves or its configuration; and an option that
// names a served document root (verb.serve-docroot: kubectl(1) proxy --www).
describe("a web or FTP daemon given a local path serves the guest's files", () => {
  sides(
    [
      "busybox httpd -f -p 12345 -h .",
      "toybox httpd -p 8080 /srv/www",
      "busybox ftpd -w /srv/ftp",
      "darkhttpd /srv/www --port 8080",
      "thttpd -d ./site -p 8000",
      "lighttpd -D -f ./lighttpd.conf",
      "mini_httpd -d /var/www -p 80",
      "kubectl proxy --address=0.0.0.0 --www=/path/to/dir/",
      "oc proxy --port=8001 --www=./site",
      "srvx --docroot /srv/www -p 80",
    ],
    ["qhttpd -k stop", "busybox ls .", "kubectl proxy --port=8001", "oc proxy"],
  );
});
