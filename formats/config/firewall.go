package config

// Firewall rule files on disk: iptables-save files (Debian's
// /etc/iptables/rules.v4 and .v6, Red Hat's /etc/sysconfig/iptables),
// ufw's user rules and enabled flag, and nftables scripts. What counts is
// whether they hold any filtering rule; the live netfilter state is not
// read (that would mean running nft or iptables on the suspect host).

import (
	"bufio"
	"io"
	"path"
	"strings"
)

// FirewallKind tells what kind of firewall file a host path is ("" for none).
func FirewallKind(hostPath string) string {
	base := path.Base(hostPath)
	switch {
	case hostPath == "/etc/ufw/ufw.conf":
		return "ufw-conf"
	case hostPath == "/etc/ufw/user.rules" || hostPath == "/etc/ufw/user6.rules" || strings.HasPrefix(hostPath, "/lib/ufw/user") || strings.HasPrefix(hostPath, "/usr/lib/ufw/user"):
		return "ufw-user"
	case strings.HasPrefix(hostPath, "/etc/iptables/rules.v") || hostPath == "/etc/sysconfig/iptables" || hostPath == "/etc/sysconfig/ip6tables":
		return "iptables-save"
	case hostPath == "/etc/nftables.conf" || hostPath == "/etc/sysconfig/nftables.conf" || strings.HasPrefix(hostPath, "/etc/nftables.d/") && strings.HasSuffix(base, ".nft"):
		return "nftables"
	}
	return ""
}

// FirewallFacts are what a firewall file says.
type FirewallFacts struct {
	Kind  string
	Rules int  // filtering rules ("-A …", nft statements with a verdict, "policy drop")
	UFWOn bool // ufw.conf: ENABLED=yes
}

// ParseFirewall reads a firewall file of the given kind (bounded lines).
func ParseFirewall(kind string, r io.Reader) FirewallFacts {
	f := FirewallFacts{Kind: kind}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	depth := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		switch kind {
		case "ufw-conf":
			if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "ENABLED" && strings.EqualFold(strings.Trim(strings.TrimSpace(v), `"'`), "yes") {
				f.UFWOn = true
			}
		case "ufw-user", "iptables-save":
			if strings.HasPrefix(line, "-A ") || strings.HasPrefix(line, "-I ") {
				f.Rules++
			}
		case "nftables":
			depth += strings.Count(line, "{") - strings.Count(line, "}")
			l := " " + strings.ReplaceAll(line, ";", " ") + " "
			if depth > 0 && (strings.Contains(l, " drop ") || strings.Contains(l, " reject") || strings.Contains(l, " accept ") ||
				strings.Contains(l, " jump ") || strings.Contains(l, " goto ")) && !strings.Contains(l, "policy accept") {
				f.Rules++
			}
		}
	}
	return f
}
