package probe

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailadvisor/mailadvisor/internal/fakedns"
)

// The stand-ins listen on 127.0.0.1 only: the tests never send traffic
// anywhere else.

const mailHost = "mail.example.test"

// testCA makes a CA and a certificate it signs for mailHost, valid from
// notBefore to notAfter (with moreNames beside the usual ones);
// selfSigned makes the leaf sign itself instead.
func testCert(t *testing.T, notBefore, notAfter time.Time, selfSigned bool, moreNames ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailadvisor test CA"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: mailHost},
		NotBefore: notBefore, NotAfter: notAfter, DNSNames: append([]string{mailHost, "mta-sts.example.test", "autoconfig.example.test", "autodiscover.example.test"}, moreNames...),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	parent, signer := ca, any(caKey)
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, roots
}

// standin is a mail server's behaviour, good or weak.
type standin struct {
	tls            *tls.Config
	authBeforeTLS  bool // offer cleartext logins before STARTTLS
	relay          bool // accept RCPT for any domain
	closeCleartext bool // no 143/110 listeners
	// banAfter > 0: after that many failed IMAP logins, the IMAPS
	// listener closes (new connections refused), as a ban does.
	banAfter  int
	failures  atomic.Int32
	imapsLn   net.Listener
	addrs     map[string]string
	listeners []net.Listener
	servers   []*smtp.Server
}

func (s *standin) listen(t *testing.T, name string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.listeners = append(s.listeners, ln)
	s.addrs[name] = ln.Addr().String()
	return ln
}

// start serves the seven ports (or five, without the cleartext mailbox
// ports): SMTP through github.com/emersion/go-smtp's server, IMAP and POP3
// through small line servers.
func (s *standin) start(t *testing.T) map[string]string {
	t.Helper()
	s.addrs = map[string]string{}
	for _, name := range []string{"smtp", "submission", "submissions"} {
		// Port 25 takes mail from other servers: no logins there,
		// unless the stand-in is the weak one.
		srv := smtp.NewServer(&backend{s: s, noAuth: name == "smtp" && !s.authBeforeTLS})
		srv.ErrorLog = log.New(io.Discard, "", 0)
		srv.Domain = mailHost
		srv.TLSConfig = s.tls
		srv.AllowInsecureAuth = s.authBeforeTLS
		srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
		ln := s.listen(t, name)
		if name == "submissions" {
			ln = tls.NewListener(ln, s.tls)
		}
		s.servers = append(s.servers, srv)
		go func() { _ = srv.Serve(ln) }()
	}
	lines := map[string]func(net.Conn){"imap": s.imap, "imaps": s.imap, "pop3": s.pop3, "pop3s": s.pop3}
	for _, name := range []string{"imaps", "pop3s", "imap", "pop3"} {
		if s.closeCleartext && (name == "imap" || name == "pop3") {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			s.addrs[name] = ln.Addr().String()
			ln.Close() // a closed port
			continue
		}
		ln := s.listen(t, name)
		if name == "imaps" {
			s.imapsLn = ln
		}
		if strings.HasSuffix(name, "s") {
			ln = tls.NewListener(ln, s.tls)
		}
		serve := lines[name]
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go serve(c)
			}
		}()
	}
	t.Cleanup(func() {
		for _, srv := range s.servers {
			srv.Close()
		}
		for _, ln := range s.listeners {
			ln.Close()
		}
	})
	return s.addrs
}

func (s *standin) imap(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, isTLS := c.(*tls.Conn)
	r := bufio.NewReader(c)
	caps := func() string {
		if isTLS {
			return "IMAP4rev1 AUTH=PLAIN"
		}
		if s.authBeforeTLS {
			return "IMAP4rev1 STARTTLS AUTH=PLAIN"
		}
		return "IMAP4rev1 STARTTLS LOGINDISABLED"
	}
	_, _ = io.WriteString(c, "* OK [CAPABILITY "+caps()+"] stand-in ready\r\n")
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(strings.TrimSpace(l), " ")
		verb, _, _ := strings.Cut(cmd, " ")
		switch strings.ToUpper(verb) {
		case "CAPABILITY":
			_, _ = io.WriteString(c, "* CAPABILITY "+caps()+"\r\n"+tag+" OK done\r\n")
		case "STARTTLS":
			_, _ = io.WriteString(c, tag+" OK begin TLS\r\n")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, r, isTLS = tc, bufio.NewReader(tc), true
		case "LOGOUT":
			_, _ = io.WriteString(c, "* BYE\r\n"+tag+" OK bye\r\n")
			return
		case "LOGIN":
			// The ban is in place before the reply goes out, so the
			// next connection cannot slip in between.
			if n := s.failures.Add(1); s.banAfter > 0 && int(n) == s.banAfter {
				s.imapsLn.Close()
			}
			_, _ = io.WriteString(c, tag+" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
		default:
			_, _ = io.WriteString(c, tag+" BAD unknown\r\n")
		}
	}
}

func (s *standin) pop3(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, isTLS := c.(*tls.Conn)
	r := bufio.NewReader(c)
	_, _ = io.WriteString(c, "+OK stand-in ready\r\n")
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch strings.ToUpper(strings.TrimSpace(l)) {
		case "CAPA":
			caps := []string{"TOP", "UIDL"}
			switch {
			case isTLS:
				caps = append(caps, "USER", "SASL PLAIN")
			case s.authBeforeTLS:
				caps = append(caps, "STLS", "USER", "SASL PLAIN")
			default:
				caps = append(caps, "STLS")
			}
			_, _ = io.WriteString(c, "+OK\r\n"+strings.Join(caps, "\r\n")+"\r\n.\r\n")
		case "STLS":
			_, _ = io.WriteString(c, "+OK begin TLS\r\n")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, r, isTLS = tc, bufio.NewReader(tc), true
		case "QUIT":
			_, _ = io.WriteString(c, "+OK bye\r\n")
			return
		default:
			_, _ = io.WriteString(c, "-ERR unknown\r\n")
		}
	}
}

// backend is the go-smtp side of the stand-in.
type backend struct {
	s      *standin
	noAuth bool
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session2{s: b.s, noAuth: b.noAuth}, nil
}

type session2 struct {
	s      *standin
	noAuth bool
}

func (s *session2) AuthMechanisms() []string {
	if s.noAuth {
		return nil
	}
	return []string{sasl.Plain}
}
func (*session2) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return errors.New("no") }), nil
}
func (*session2) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session2) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.s.relay || strings.HasSuffix(to, "@example.test") {
		return nil
	}
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relay access denied"}
}
func (*session2) Data(io.Reader) error { return errors.New("no data here") }
func (*session2) Reset()               {}
func (*session2) Logout() error        { return nil }

// zones: the good domain has every record; the weak one no DMARC.
const goodZone = `example.test. 300 IN MX 10 mail.example.test.
example.test. 300 IN TXT "v=spf1 mx include:_spf.example.test -all"
_spf.example.test. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.example.test. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.test"
mail._domainkey.example.test. 300 IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
_mta-sts.example.test. 300 IN TXT "v=STSv1; id=20261130"
_smtp._tls.example.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.test"
_submissions._tcp.example.test. 300 IN SRV 0 1 465 mail.example.test.
_imaps._tcp.example.test. 300 IN SRV 0 1 993 mail.example.test.
_imap._tcp.example.test. 300 IN SRV 0 0 0 .
mail.example.test. 300 IN A 127.0.0.1
1.0.0.127.in-addr.arpa. 300 IN PTR mail.example.test.
`

const weakZone = `example.test. 300 IN MX 10 mail.example.test.
example.test. 300 IN TXT "v=spf1 mx ?all"
`

// httpStandin serves the MTA-STS policy, autoconfig and autodiscover over
// HTTPS on 127.0.0.1; the client it returns reaches it for any name.
func httpStandin(t *testing.T, cert tls.Certificate, roots *x509.CertPool) *http.Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/mta-sts.txt", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "version: STSv1\nmode: enforce\nmx: mail.example.test\nmax_age: 604800\n")
	})
	mux.HandleFunc("/mail/config-v1.1.xml", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `<?xml version="1.0"?><clientConfig version="1.1"></clientConfig>`)
	})
	mux.HandleFunc("/autodiscover/autodiscover.xml", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `<?xml version="1.0"?><Autodiscover/>`)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr) // every name is the stand-in
		},
	}}
}

func find(res *Result, group, name string) Check {
	for _, c := range res.Checks {
		if (group == "" || strings.HasPrefix(c.Group, group)) && c.Name == name {
			return c
		}
	}
	return Check{Status: "missing"}
}

// A server set up as mailadvisor advises (TLS 1.2 and 1.3 only, a
// certificate from a trusted CA, no login before TLS, every DNS record)
// grades A.
func TestProbeGoodStandin(t *testing.T) {
	cert, roots := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), false)
	s := &standin{tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, closeCleartext: true}
	addrs := s.start(t)
	dnsAddr, stop, err := fakedns.Start(goodZone)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := Run(context.Background(), Config{Host: mailHost, Domain: "example.test", DKIMSelector: "mail", Addrs: addrs,
		DNSServer: dnsAddr, HTTPClient: httpStandin(t, cert, roots), Roots: roots, OpenRelay: true, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Checks {
		if c.Status == Fail || c.Status == Warn {
			t.Errorf("%s %s: %s: %s", c.Group, c.Name, c.Status, c.Detail)
		}
	}
	if res.Grade != "A" {
		t.Errorf("grade %s, want A", res.Grade)
	}
	t.Logf("%d checks, grade %s", len(res.Checks), res.Grade)
	for _, want := range []struct{ group, name string }{{"imaps", "tls-versions"}, {"submission 587", "starttls"},
		{"smtp", "open-relay"}, {"dns", "spf"}, {"dns", "mta-sts"}, {"http", "autoconfig"}, {"pop3s", "certificate"}} {
		if c := find(res, want.group, want.name); c.Status != Pass {
			t.Errorf("%s %s: %s %s, want pass", want.group, want.name, c.Status, c.Detail)
		}
	}
	if c := find(res, "dns", "spf"); !strings.Contains(c.Detail, "2 of the 10 DNS lookups") {
		t.Errorf("spf: %s: want 2 lookups (mx, include; the included record needs none)", c.Detail)
	}
}

// The weak stand-in the issue describes is caught on each point: TLS 1.0
// allowed, AUTH PLAIN before STARTTLS, an expired self-signed
// certificate, no DMARC, an open relay; the grade is F.
func TestProbeWeakStandin(t *testing.T) {
	cert, _ := testCert(t, time.Now().Add(-400*24*time.Hour), time.Now().Add(-24*time.Hour), true)
	s := &standin{tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}, authBeforeTLS: true, relay: true}
	addrs := s.start(t)
	dnsAddr, stop, err := fakedns.Start(weakZone)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_, roots := testCert(t, time.Now(), time.Now().Add(time.Hour), false) // roots that do not hold the self-signed one
	res, err := Run(context.Background(), Config{Host: mailHost, Domain: "example.test", Addrs: addrs, DNSServer: dnsAddr,
		Roots: roots, OpenRelay: true, Timeout: 20 * time.Second,
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no web server in this test")
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ group, name, detail string }{
		{"imaps", "tls-versions", "TLS 1.0"},
		{"submissions", "tls-versions", "TLS 1.0"},
		{"submission 587", "auth-before-tls", "AUTH PLAIN"},
		{"imap 143", "auth-before-tls", "AUTH=PLAIN"},
		{"pop3 110", "auth-before-tls", "USER"},
		{"imaps", "certificate", "expired"},
		{"pop3s", "certificate", "expired"},
		{"dns", "dmarc", "0 DMARC records"},
		{"dns", "spf", "?all"},
		{"smtp 25", "open-relay", "relay-test@example.net"},
	} {
		c := find(res, want.group, want.name)
		if c.Status != Fail || !strings.Contains(c.Detail, want.detail) {
			t.Errorf("%s %s: %s %q, want fail mentioning %q", want.group, want.name, c.Status, c.Detail, want.detail)
		}
	}
	if res.Grade != "F" {
		t.Errorf("grade %s, want F", res.Grade)
	}
	t.Logf("%d checks, grade %s", len(res.Checks), res.Grade)
}

// The deadline holds for a server that accepts connections and never
// speaks.
func TestProbeDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	addrs := map[string]string{}
	for _, s := range Services {
		addrs[s.Name] = ln.Addr().String()
	}
	start := time.Now()
	res, err := Run(context.Background(), Config{Host: "127.0.0.1", Addrs: addrs, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v past a 2 s deadline", d)
	}
	if c := find(res, "imaps", "tls"); c.Status != Fail {
		t.Errorf("a silent server: %+v", c)
	}
}

// A suite without forward secrecy or with CBC is a warning; RC4 or 3DES a
// failure; on port 25 either is only noted (opportunistic TLS).
func TestCipherSuites(t *testing.T) {
	cert, _ := testCert(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), false)
	for _, tc := range []struct {
		suite   uint16
		service Service
		want    Status
	}{
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, Services[3], Warn},
		{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, Services[3], Fail},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, Services[3], Pass},
		{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, Service{"smtp-tls", 25, "smtp", true}, Info},
	} {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert},
			MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tc.suite}})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}
		}()
		cfg := &Config{Host: mailHost, Addrs: map[string]string{tc.service.Name: ln.Addr().String()}}
		cfg.defaults()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c := ciphersCheck(ctx, cfg, tc.service, "g", tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tc.suite})
		cancel()
		ln.Close()
		if c.Status != tc.want {
			t.Errorf("%s on port %d: %s (%s), want %s", tls.CipherSuiteName(tc.suite), tc.service.Port, c.Status, c.Detail, tc.want)
		}
	}
}

// A host where no mail port answers is unreachable: an error naming each
// port, and no grade (a grade would rate the network, not the server).
func TestProbeUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	addrs := map[string]string{}
	for _, s := range Services {
		addrs[s.Name] = closed
	}
	res, err := Run(context.Background(), Config{Host: "127.0.0.1", Addrs: addrs, Timeout: 2 * time.Second})
	var u *UnreachableError
	if !errors.As(err, &u) || len(u.Ports) != len(Services) || !strings.Contains(err.Error(), "imaps 993: closed") {
		t.Fatalf("err %v, want unreachable naming every port", err)
	}
	if res == nil || res.Grade != "" {
		t.Errorf("result %+v: want the checks made and no grade", res)
	}
}
