/**
 * PVE's firewall macros (`$pve_fw_macros` in pve-firewall's src/PVE/Firewall.pm, imported there
 * from shorewall), as data: each expands into one rule per entry, the entry's `proto`, `dport` and
 * `sport` fixed and the calling rule's action, addresses and interface filled in (`apply_macro`:
 * a field the rule sets and the macro also fixes must agree). Every macro of PVE's IPv4 table is
 * here; PVE's IPv6 overrides (Ping, NeighborDiscovery, DHCPv6, Trcrt with icmpv6) are not, since
 * the testbed's networks are IPv4 only.
 */
export interface MacroEntry {
  proto: string;
  dport?: string;
  sport?: string;
}

export const PVE_FW_MACROS: Record<string, { description: string; rules: MacroEntry[] }> = {
  Amanda: {
    description: "Amanda Backup",
    rules: [
      { dport: "10080", proto: "udp" },
      { dport: "10080", proto: "tcp" },
    ],
  },
  Auth: {
    description: "Auth (identd) traffic",
    rules: [{ dport: "113", proto: "tcp" }],
  },
  BGP: {
    description: "Border Gateway Protocol traffic",
    rules: [{ dport: "179", proto: "tcp" }],
  },
  BitTorrent: {
    description: "BitTorrent traffic for BitTorrent 3.1 and earlier",
    rules: [
      { dport: "6881:6889", proto: "tcp" },
      { dport: "6881", proto: "udp" },
    ],
  },
  BitTorrent32: {
    description: "BitTorrent traffic for BitTorrent 3.2 and later",
    rules: [
      { dport: "6881:6999", proto: "tcp" },
      { dport: "6881", proto: "udp" },
    ],
  },
  Ceph: {
    description: "Ceph Storage Cluster traffic (Ceph Monitors, OSD & MDS Daemons)",
    rules: [
      { dport: "6789", proto: "tcp" },
      { dport: "3300", proto: "tcp" },
      { dport: "6800:7300", proto: "tcp" },
    ],
  },
  Citrix: {
    description: "Citrix/ICA traffic (ICA, ICA Browser, CGP)",
    rules: [
      { dport: "1494", proto: "tcp" },
      { dport: "1604", proto: "udp" },
      { dport: "2598", proto: "tcp" },
    ],
  },
  CVS: {
    description: "Concurrent Versions System pserver traffic",
    rules: [{ dport: "2401", proto: "tcp" }],
  },
  DAAP: {
    description: "Digital Audio Access Protocol traffic (iTunes, Rythmbox daemons)",
    rules: [
      { dport: "3689", proto: "tcp" },
      { dport: "3689", proto: "udp" },
    ],
  },
  DCC: {
    description: "Distributed Checksum Clearinghouse spam filtering mechanism",
    rules: [{ dport: "6277", proto: "tcp" }],
  },
  DHCPfwd: {
    description: "Forwarded DHCP traffic",
    rules: [{ dport: "67:68", proto: "udp", sport: "67:68" }],
  },
  Distcc: {
    description: "Distributed Compiler service",
    rules: [{ dport: "3632", proto: "tcp" }],
  },
  DNS: {
    description: "Domain Name System traffic (upd and tcp)",
    rules: [
      { dport: "53", proto: "udp" },
      { dport: "53", proto: "tcp" },
    ],
  },
  Finger: {
    description: "Finger protocol (RFC 742)",
    rules: [{ dport: "79", proto: "tcp" }],
  },
  FTP: {
    description: "File Transfer Protocol",
    rules: [{ dport: "21", proto: "tcp" }],
  },
  Git: {
    description: "Git distributed revision control traffic",
    rules: [{ dport: "9418", proto: "tcp" }],
  },
  GNUnet: {
    description: "GNUnet secure peer-to-peer networking traffic",
    rules: [
      { dport: "2086", proto: "tcp" },
      { dport: "2086", proto: "udp" },
      { dport: "1080", proto: "tcp" },
      { dport: "1080", proto: "udp" },
    ],
  },
  GRE: {
    description: "Generic Routing Encapsulation tunneling protocol",
    rules: [{ proto: "47" }],
  },
  HKP: {
    description: "OpenPGP HTTP key server protocol traffic",
    rules: [{ dport: "11371", proto: "tcp" }],
  },
  HTTP: {
    description: "Hypertext Transfer Protocol (WWW)",
    rules: [{ dport: "80", proto: "tcp" }],
  },
  HTTPS: {
    description: "Hypertext Transfer Protocol (WWW) over SSL",
    rules: [{ dport: "443", proto: "tcp" }],
  },
  ICPV2: {
    description: "Internet Cache Protocol V2 (Squid) traffic",
    rules: [{ dport: "3130", proto: "udp" }],
  },
  ICQ: {
    description: "AOL Instant Messenger traffic",
    rules: [{ dport: "5190", proto: "tcp" }],
  },
  IMAP: {
    description: "Internet Message Access Protocol",
    rules: [{ dport: "143", proto: "tcp" }],
  },
  IMAPS: {
    description: "Internet Message Access Protocol over SSL",
    rules: [{ dport: "993", proto: "tcp" }],
  },
  IPIP: {
    description: "IPIP capsulation traffic",
    rules: [{ proto: "94" }],
  },
  IPsec: {
    description: "IPsec traffic",
    rules: [{ dport: "500", proto: "udp", sport: "500" }, { proto: "50" }],
  },
  IPsecah: {
    description: "IPsec authentication (AH) traffic",
    rules: [{ dport: "500", proto: "udp", sport: "500" }, { proto: "51" }],
  },
  IPsecnat: {
    description: "IPsec traffic and Nat-Traversal",
    rules: [{ dport: "500", proto: "udp" }, { dport: "4500", proto: "udp" }, { proto: "50" }],
  },
  IRC: {
    description: "Internet Relay Chat traffic",
    rules: [{ dport: "6667", proto: "tcp" }],
  },
  Jetdirect: {
    description: "HP Jetdirect printing",
    rules: [{ dport: "9100", proto: "tcp" }],
  },
  L2TP: {
    description: "Layer 2 Tunneling Protocol traffic",
    rules: [{ dport: "1701", proto: "udp" }],
  },
  LDAP: {
    description: "Lightweight Directory Access Protocol traffic",
    rules: [{ dport: "389", proto: "tcp" }],
  },
  LDAPS: {
    description: "Secure Lightweight Directory Access Protocol traffic",
    rules: [{ dport: "636", proto: "tcp" }],
  },
  Mail: {
    description: "Mail traffic (SMTP, SMTPS, Submission)",
    rules: [
      { dport: "25", proto: "tcp" },
      { dport: "465", proto: "tcp" },
      { dport: "587", proto: "tcp" },
    ],
  },
  MDNS: {
    description: "Multicast DNS",
    rules: [{ dport: "5353", proto: "udp" }],
  },
  MSNP: {
    description: "Microsoft Notification Protocol",
    rules: [{ dport: "1863", proto: "tcp" }],
  },
  MSSQL: {
    description: "Microsoft SQL Server",
    rules: [{ dport: "1433", proto: "tcp" }],
  },
  Munin: {
    description: "Munin networked resource monitoring traffic",
    rules: [{ dport: "4949", proto: "tcp" }],
  },
  MySQL: {
    description: "MySQL server",
    rules: [{ dport: "3306", proto: "tcp" }],
  },
  NNTP: {
    description: "NNTP traffic (Usenet).",
    rules: [{ dport: "119", proto: "tcp" }],
  },
  NNTPS: {
    description: "Encrypted NNTP traffic (Usenet)",
    rules: [{ dport: "563", proto: "tcp" }],
  },
  NTP: {
    description: "Network Time Protocol (ntpd)",
    rules: [{ dport: "123", proto: "udp" }],
  },
  OpenVPN: {
    description: "OpenVPN traffic",
    rules: [{ dport: "1194", proto: "udp" }],
  },
  OSPF: {
    description: "OSPF multicast traffic",
    rules: [{ proto: "89" }],
  },
  PCA: {
    description: "Symantec PCAnywere (tm)",
    rules: [
      { dport: "5632", proto: "udp" },
      { dport: "5631", proto: "tcp" },
    ],
  },
  Ping: {
    description: "ICMP echo request",
    rules: [{ dport: "echo-request", proto: "icmp" }],
  },
  PMG: {
    description: "Proxmox Mail Gateway web interface",
    rules: [{ dport: "8006", proto: "tcp" }],
  },
  POP3: {
    description: "POP3 traffic",
    rules: [{ dport: "110", proto: "tcp" }],
  },
  POP3S: {
    description: "Encrypted POP3 traffic",
    rules: [{ dport: "995", proto: "tcp" }],
  },
  PostgreSQL: {
    description: "PostgreSQL server",
    rules: [{ dport: "5432", proto: "tcp" }],
  },
  PPtP: {
    description: "Point-to-Point Tunneling Protocol",
    rules: [{ proto: "47" }, { dport: "1723", proto: "tcp" }],
  },
  Printer: {
    description: "Line Printer protocol printing",
    rules: [{ dport: "515", proto: "tcp" }],
  },
  Razor: {
    description: "Razor Antispam System",
    rules: [{ dport: "2703", proto: "tcp" }],
  },
  Rdate: {
    description: "Remote time retrieval (rdate)",
    rules: [{ dport: "37", proto: "tcp" }],
  },
  RDP: {
    description: "Microsoft Remote Desktop Protocol traffic",
    rules: [{ dport: "3389", proto: "tcp" }],
  },
  RIP: {
    description: "Routing Information Protocol (bidirectional)",
    rules: [{ dport: "520", proto: "udp" }],
  },
  RNDC: {
    description: "BIND remote management protocol",
    rules: [{ dport: "953", proto: "tcp" }],
  },
  Rsync: {
    description: "Rsync server",
    rules: [{ dport: "873", proto: "tcp" }],
  },
  SANE: {
    description: "SANE network scanning",
    rules: [{ dport: "6566", proto: "tcp" }],
  },
  SixXS: {
    description: "SixXS IPv6 Deployment and Tunnel Broker",
    rules: [
      { dport: "3874", proto: "tcp" },
      { dport: "3740", proto: "udp" },
      { proto: "41" },
      { dport: "5072,8374", proto: "udp" },
    ],
  },
  SMB: {
    description: "Microsoft SMB traffic",
    rules: [
      { dport: "135,445", proto: "udp" },
      { dport: "137:139", proto: "udp" },
      { dport: "1024:65535", proto: "udp", sport: "137" },
      { dport: "135,139,445", proto: "tcp" },
    ],
  },
  SMBswat: {
    description: "Samba Web Administration Tool",
    rules: [{ dport: "901", proto: "tcp" }],
  },
  SMTP: {
    description: "Simple Mail Transfer Protocol",
    rules: [{ dport: "25", proto: "tcp" }],
  },
  SMTPS: {
    description: "Encrypted Simple Mail Transfer Protocol",
    rules: [{ dport: "465", proto: "tcp" }],
  },
  SNMP: {
    description: "Simple Network Management Protocol",
    rules: [
      { dport: "161:162", proto: "udp" },
      { dport: "161", proto: "tcp" },
    ],
  },
  SPAMD: {
    description: "Spam Assassin SPAMD traffic",
    rules: [{ dport: "783", proto: "tcp" }],
  },
  SPICEproxy: {
    description: "Proxmox VE SPICE display proxy traffic",
    rules: [{ dport: "3128", proto: "tcp" }],
  },
  Squid: {
    description: "Squid web proxy traffic",
    rules: [{ dport: "3128", proto: "tcp" }],
  },
  SSH: {
    description: "Secure shell traffic",
    rules: [{ dport: "22", proto: "tcp" }],
  },
  Submission: {
    description: "Mail message submission traffic",
    rules: [{ dport: "587", proto: "tcp" }],
  },
  SVN: {
    description: "Subversion server (svnserve)",
    rules: [{ dport: "3690", proto: "tcp" }],
  },
  Syslog: {
    description: "Syslog protocol (RFC 5424) traffic",
    rules: [
      { dport: "514", proto: "udp" },
      { dport: "514", proto: "tcp" },
    ],
  },
  Telnet: {
    description: "Telnet traffic",
    rules: [{ dport: "23", proto: "tcp" }],
  },
  Telnets: {
    description: "Telnet over SSL",
    rules: [{ dport: "992", proto: "tcp" }],
  },
  TFTP: {
    description: "Trivial File Transfer Protocol traffic",
    rules: [{ dport: "69", proto: "udp" }],
  },
  Time: {
    description: "RFC 868 Time protocol",
    rules: [{ dport: "37", proto: "tcp" }],
  },
  Trcrt: {
    description: "Traceroute (for up to 30 hops) traffic",
    rules: [
      { dport: "33434:33524", proto: "udp" },
      { dport: "echo-request", proto: "icmp" },
    ],
  },
  VNC: {
    description: "VNC traffic for VNC display's 0 - 99",
    rules: [{ dport: "5900:5999", proto: "tcp" }],
  },
  VNCL: {
    description: "VNC traffic from Vncservers to Vncviewers in listen mode",
    rules: [{ dport: "5500", proto: "tcp" }],
  },
  Web: {
    description: "WWW traffic (HTTP and HTTPS)",
    rules: [
      { dport: "80", proto: "tcp" },
      { dport: "443", proto: "tcp" },
    ],
  },
  Webcache: {
    description: "Web Cache/Proxy traffic (port 8080)",
    rules: [{ dport: "8080", proto: "tcp" }],
  },
  Webmin: {
    description: "Webmin traffic",
    rules: [{ dport: "10000", proto: "tcp" }],
  },
  Whois: {
    description: "Whois (nicname, RFC 3912) traffic",
    rules: [{ dport: "43", proto: "tcp" }],
  },
};
