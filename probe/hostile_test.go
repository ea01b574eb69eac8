package probe

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/testmem"
)

// hostile serves every connection on 127.0.0.1 with serve, for a
// server that misbehaves on purpose.
func hostile(t *testing.T, tc *tls.Config, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// endless writes chunk until the reader goes away.
func endless(c net.Conn, head, chunk string) {
	if _, err := c.Write([]byte(head)); err != nil {
		return
	}
	b := []byte(strings.Repeat(chunk, 64<<10/len(chunk)))
	for {
		_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}

// A server that greets and then sends one endless line, or endless
// capability lines, is cut off by construction: a line over 4 KiB, a
// dialogue over 1 MiB or 2,000 lines ends the dialogue with an error,
// whatever the timeout. Before, 448 MB received became 817 MB of memory.
func TestProbeBoundsHostileDialogues(t *testing.T) {
	for _, c := range []struct {
		name, head, chunk, want string
	}{
		{"endless greeting line", "220 ", "x", "line too long"},
		{"endless capability lines", "220 hi\r\n", "250-X\r\n", "more than a mail dialogue needs"},
		{"endless untagged IMAP lines", "* OK hi\r\n", "* X\r\n", "more than a mail dialogue needs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := hostile(t, nil, func(conn net.Conn) { endless(conn, c.head, c.chunk) })
			s := Service{"smtp", 25, "smtp", false}
			if strings.HasPrefix(c.head, "* ") {
				s = Service{"imap", 143, "imap", false}
			}
			cfg := &Config{Host: mailHost, Addrs: map[string]string{s.Name: addr}, Timeout: time.Minute}
			cfg.defaults()
			var checks []Check
			n := testmem.Allocated(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				checks = probeService(ctx, cfg, s)
			})
			var got Check
			for _, ch := range checks {
				if ch.Name == "dialogue" {
					got = ch
				}
			}
			if got.Status != Fail || !strings.Contains(got.Detail, c.want) {
				t.Errorf("checks %+v: want the dialogue failed with %q", checks, c.want)
			}
			if n > 16<<20 {
				t.Errorf("allocated %d MiB for one dialogue: want it bounded (16 MiB)", n>>20)
			}
		})
	}
}

// A TLS server whose dialogue fails after the handshake still has its TLS
// layer reported: which versions and suites it accepts, its certificate.
func TestProbeReportsTLSWhenTheDialogueFails(t *testing.T) {
	cert, _ := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), false)
	addr := hostile(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS11},
		func(c net.Conn) { _ = c.(*tls.Conn).Handshake() }) // then closes: no greeting
	s := Services[3]
	cfg := &Config{Host: mailHost, Addrs: map[string]string{s.Name: addr}, Timeout: 20 * time.Second}
	cfg.defaults()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	checks := probeService(ctx, cfg, s)
	byName := map[string]Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	if c := byName["dialogue"]; c.Status != Fail {
		t.Errorf("dialogue: %+v", c)
	}
	if c := byName["tls-versions"]; c.Status != Fail || !strings.Contains(c.Detail, "TLS 1.1") {
		t.Errorf("tls-versions: %+v: want TLS 1.1 reported as accepted", c)
	}
	if _, ok := byName["certificate"]; !ok {
		t.Errorf("no certificate check: %+v", checks)
	}
}
