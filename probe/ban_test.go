package probe

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

// --try-ban against a stand-in that bans after five failed logins (its
// IMAPS port then refuses connections, as nftables' reject does) passes;
// against one that never bans it fails, naming what to look at; each
// failure was one connection of its own.
func TestBanCheck(t *testing.T) {
	cert, roots := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), false)
	for _, tc := range []struct {
		banAfter int
		want     Status
		detail   string
	}{
		{5, Pass, "connections from this address are refused"},
		{0, Fail, "nothing bans password guessing"},
	} {
		s := &standin{tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, closeCleartext: true, banAfter: tc.banAfter}
		addrs := s.start(t)
		res, err := Run(context.Background(), Config{Host: mailHost, Addrs: addrs, Roots: roots, Timeout: 10 * time.Second,
			Ban: Ban{Attempts: 6, Wait: 2 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		c := find(res, "imaps 993", "ban")
		if c.Status != tc.want || !strings.Contains(c.Detail, tc.detail) || !strings.Contains(c.Detail, "mailadvisor-probe-") {
			t.Errorf("ban after %d: %s %q, want %s with %q", tc.banAfter, c.Status, c.Detail, tc.want, tc.detail)
		}
		want := int32(6)
		if tc.banAfter > 0 {
			want = int32(tc.banAfter)
		}
		if n := s.failures.Load(); n != want {
			t.Errorf("ban after %d: %d failed logins, want %d", tc.banAfter, n, want)
		}
		t.Logf("%s", c.Detail)
	}
	// Not asked: no login is tried.
	s := &standin{tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, closeCleartext: true}
	res, err := Run(context.Background(), Config{Host: mailHost, Addrs: s.start(t), Roots: roots, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(res, "imaps 993", "ban"); c.Name != "" || s.failures.Load() != 0 {
		t.Errorf("without Ban: %+v, %d logins", c, s.failures.Load())
	}
}
