package config

import (
	"strings"
	"testing"
)

func TestFirewall(t *testing.T) {
	for _, c := range []struct {
		path, data string
		rules      int
		on         bool
	}{
		{"/etc/iptables/rules.v4", "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n", 2, false},
		{"/etc/iptables/rules.v6", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", 0, false},
		{"/etc/nftables.conf", "#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n}\n", 0, false},
		{"/etc/nftables.conf", "table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n  ct state established accept\n  tcp dport 22 accept # ssh\n }\n}\n", 3, false},
		{"/etc/ufw/user.rules", "*filter\n### RULES ###\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\nCOMMIT\n", 1, false},
		{"/etc/ufw/ufw.conf", "# ufw.conf\nENABLED=yes\nLOGLEVEL=low\n", 0, true},
	} {
		k := FirewallKind(c.path)
		if k == "" {
			t.Fatalf("%s: not a firewall file", c.path)
		}
		f := ParseFirewall(k, strings.NewReader(c.data))
		if f.Rules != c.rules || f.UFWOn != c.on {
			t.Errorf("%s: %+v, want %d rules, enabled %v", c.path, f, c.rules, c.on)
		}
	}
	for _, p := range []string{"/etc/hosts", "/etc/ufw/applications.d/openssh-server", "/etc/nftables.d/readme.txt"} {
		if k := FirewallKind(p); k != "" {
			t.Errorf("%s is %s", p, k)
		}
	}
	ParseFirewall("nftables", strings.NewReader(strings.Repeat("{", 1<<16)+"\x00\xff"))
}
