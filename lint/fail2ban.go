package lint

import (
	"net/netip"
	"slices"
	"strings"
)

// fail2ban jail files (jail.local, jail.d/*.conf and *.local): sections
// of key = value lines, as Python's configparser reads them. The checks
// are what keeps a jail from banning on Debian 12 and 13 as a minimal VPS
// boots them: journald only (no rsyslog), nftables (no iptables).

// jailSection is one [section] of a jail file.
type jailSection struct {
	name     string
	line     int
	settings map[string]setting
}

// fail2banKeys are jail settings; a file with a [section] and one of them
// is a jail file.
var fail2banKeys = []string{"enabled", "banaction", "banaction_allports", "bantime", "findtime", "maxretry",
	"backend", "logpath", "journalmatch", "ignoreip", "filter"}

// jailSections reads a jail file's sections in order; settings before any
// section are left out, as fail2ban refuses them.
func jailSections(data []byte) []jailSection {
	var out []jailSection
	var last string // the key a continuation line adds to
	for n, line := range numberedLines(data) {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			continue
		case strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]"):
			out = append(out, jailSection{name: strings.TrimSpace(trimmed[1 : len(trimmed)-1]), line: n, settings: map[string]setting{}})
			last = ""
			continue
		}
		if len(out) == 0 {
			continue
		}
		sec := &out[len(out)-1]
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			s := sec.settings[last]
			s.value += " " + trimmed
			sec.settings[last] = s
			continue
		}
		key, value, ok := strings.Cut(trimmed, "=")
		if !ok {
			key, value, ok = strings.Cut(trimmed, ":")
		}
		if !ok {
			continue
		}
		last = strings.ToLower(strings.TrimSpace(key))
		sec.settings[last] = setting{key: last, value: strings.TrimSpace(value), line: n, section: sec.name}
	}
	return out
}

// isJailFile reports whether data has a [section] and a jail setting.
func isJailFile(data []byte) bool {
	secs := jailSections(data)
	for _, s := range secs {
		switch s.name {
		case "Definition", "INCLUDES", "Init": // a filter or an action
			return false
		}
	}
	for _, s := range secs {
		for k := range s.settings {
			if slices.Contains(fail2banKeys, k) {
				return true
			}
		}
	}
	return false
}

// syslogFiles are the files rsyslog writes on Debian, which a system
// logging to the journal only does not have.
var syslogFiles = []string{"/var/log/mail.log", "/var/log/mail.warn", "/var/log/mail.err", "/var/log/mail.info",
	"/var/log/auth.log", "/var/log/syslog", "/var/log/messages", "/var/log/daemon.log", "/var/log/user.log"}

// stockSyslogJails are jail.conf's jails whose logpath is one of
// syslogFiles and whose backend Debian 12 leaves at auto (Debian 13's
// paths-debian.conf sets systemd for them).
var stockSyslogJails = []string{"sshd", "dovecot", "sieve", "postfix", "postfix-sasl", "postfix-rbl", "postfix-auth"}

func checkFail2ban(r *report, data []byte) {
	secs := jailSections(data)
	var defaults map[string]setting
	for _, s := range secs {
		if s.name == "DEFAULT" {
			defaults = s.settings
		}
	}
	get := func(s jailSection, key string) (setting, bool) {
		if v, ok := s.settings[key]; ok {
			return v, true
		}
		v, ok := defaults[key]
		return v, ok
	}
	for _, s := range secs {
		for _, key := range []string{"banaction", "banaction_allports", "action"} {
			if v, ok := s.settings[key]; ok && strings.HasPrefix(strings.TrimSpace(strings.ToLower(v.value)), "iptables") {
				r.add("fail2ban-iptables", v.line, "[%s] %s = %s: a minimal Debian 12 or 13 has no iptables; fail2ban lists the bans, which block nothing", s.name, key, v.value)
			}
		}
		if v, ok := s.settings["ignoreip"]; ok {
			for _, w := range strings.Fields(strings.ReplaceAll(v.value, ",", " ")) {
				if p, err := netip.ParsePrefix(w); err == nil && (p.Addr().Is4() && p.Bits() < 8 || p.Addr().Is6() && p.Bits() < 16) {
					r.add("fail2ban-ignore-wide", v.line, "[%s] ignoreip %s exempts a large part of the Internet (/%d): addresses there are never banned", s.name, w, p.Bits())
				}
			}
		}
	}
	banactionSet := false
	for _, s := range secs {
		if _, ok := s.settings["banaction"]; ok {
			banactionSet = true
		}
	}
	for _, s := range secs {
		if s.name == "DEFAULT" {
			continue
		}
		if v, ok := get(s, "enabled"); !ok || !isTrue(v.value) {
			continue
		}
		if !banactionSet {
			banactionSet = true // said once, at the first jail
			r.add("fail2ban-banaction-unset", s.line, "[%s] is enabled and no banaction is set here: on Debian 12, jail.conf's iptables-multiport applies, and a minimal Debian 12 has no iptables", s.name)
		}
		backend, hasBackend := get(s, "backend")
		logpath, hasLogpath := get(s, "logpath")
		be := strings.ToLower(strings.TrimSpace(backend.value))
		if strings.HasPrefix(be, "systemd") {
			continue
		}
		file := ""
		if hasLogpath {
			for _, f := range strings.Fields(logpath.value) {
				if slices.Contains(syslogFiles, f) {
					file = f
				}
			}
		} else if slices.Contains(stockSyslogJails, s.name) {
			file = "jail.conf's logpath"
		}
		if file == "" {
			continue
		}
		line, where := s.line, "no backend is set here: on Debian 12 it is auto, which"
		if hasBackend {
			line, where = backend.line, "backend = "+backend.value
		}
		if hasLogpath {
			line = logpath.line
		}
		r.add("fail2ban-syslog-file", line, "[%s] reads %s, and %s reads the file: Debian 12 and 13 log to the journal only (no rsyslog), so the file is missing and fail2ban does not start", s.name, file, where)
	}
	for _, s := range secs {
		if s.name != "dovecot" && s.name != "sieve" {
			continue
		}
		if v, ok := get(s, "enabled"); !ok || !isTrue(v.value) {
			continue
		}
		filter, ok := s.settings["filter"]
		name := "dovecot"
		line := s.line
		if ok {
			name, line = strings.TrimSpace(filter.value), filter.line
		}
		if name == "dovecot" || strings.HasPrefix(name, "dovecot[") {
			r.add("fail2ban-dovecot-filter", line, "[%s] uses fail2ban's own dovecot filter, which before fail2ban 1.1.1 (Debian 12 has 1.0.2, Debian 13 1.1.0) matches none of Dovecot 2.4's \"Login aborted: ... (auth_failed)\" lines", s.name)
		}
	}
}

// isTrue reads a configparser boolean.
func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}
