package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

// Debian's own jail files, as Debian 12 and 13 install them (the trees
// .ci/run builds with debootstrap), linted, and fail2ban's own
// configuration test (fail2ban-client -t) run in the same tree: lint says
// the file reads a missing syslog file exactly when fail2ban fails on it,
// and says Debian 12 bans through iptables.
func TestLintAgreesWithFail2banOnDebian(t *testing.T) {
	for _, r := range []struct {
		name, env, def string
		wantRules      []string
	}{
		{"debian12", "MAILADVISOR_DEBIAN12_ROOT", "/var/cache/mailadvisor/bookworm-boot", []string{"fail2ban-banaction-unset", "fail2ban-syslog-file"}},
		{"debian13", "MAILADVISOR_DEBIAN13_ROOT", "/var/cache/mailadvisor/trixie-boot", nil},
	} {
		t.Run(r.name, func(t *testing.T) {
			root := os.Getenv(r.env)
			if root == "" {
				root = r.def
			}
			data, err := os.ReadFile(filepath.Join(root, "etc/fail2ban/jail.d/defaults-debian.conf"))
			if err != nil {
				integration.Missing(t, r.name+"'s tree ("+r.env+") with fail2ban")
			}
			if os.Geteuid() != 0 {
				integration.Missing(t, "root (chroot into "+root+")")
			}
			integration.Uses(t, "fail2ban-client -t in "+root)
			kind, findings, err := Lint("defaults-debian.conf", data)
			if err != nil || kind != KindFail2ban {
				t.Fatalf("read as %q: %v", kind, err)
			}
			var rules []string
			for _, f := range findings {
				rules = append(rules, f.Rule)
			}
			if !slices.Equal(rules, r.wantRules) {
				t.Errorf("rules %q, want %q: %v", rules, r.wantRules, findings)
			}
			// Python writes no bytecode into the tree, which stays as built.
			cmd := exec.Command("chroot", root, "fail2ban-client", "-t")
			cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
			out, err := cmd.CombinedOutput()
			missing := strings.Contains(string(out), "Have not found any log file")
			if lintSays := slices.Contains(rules, "fail2ban-syslog-file"); lintSays != missing || (err == nil) == missing {
				t.Errorf("lint says a syslog file is read: %v; fail2ban-client -t: %v\n%s", lintSays, err, out)
			}
		})
	}
}
