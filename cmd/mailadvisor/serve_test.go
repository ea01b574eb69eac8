package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/serve"
)

const serveDomainFile = `domains: [example.com, example.org]
display_name: Example Mail
hosts: {imap: imap.example.com, pop3: pop.example.com, smtp: smtp.example.com}
username: localpart
`

func writeDomainFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// `serve` answers byte for byte what `profile` writes for the same address
// and domain file (the golden is the profile command itself).
func TestServeAnswersWhatProfileWrites(t *testing.T) {
	dir := t.TempDir()
	file := writeDomainFile(t, dir, "example.yaml", serveDomainFile)
	opts := &serveOptions{io: streams{err: io.Discard}, domainFiles: []string{file}}
	domains, _, err := opts.loadDomains(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(serve.Config{Domains: domains})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args    []string
		method  string
		target  string
		body    string
		comment string
	}{
		{[]string{"profile", "autoconfig", "--email", "Zoë.O'Neil@example.org"}, "GET",
			"/mail/config-v1.1.xml?emailaddress=Zo%C3%AB.O%27Neil%40example.org", "", "autoconfig"},
		{[]string{"profile", "autodiscover", "--email", "bob@example.com"}, "POST", "/autodiscover/autodiscover.xml",
			`<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>bob@example.com</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`,
			"autodiscover"},
		{[]string{"profile", "mobileconfig", "--email", "carol@example.com", "--name", "Carol Smith"}, "GET",
			"/mobileconfig?emailaddress=carol%40example.com&name=Carol+Smith", "", "mobileconfig"},
		{[]string{"profile", "mobileconfig", "--email", "carol@example.com", "--protocol", "pop3"}, "GET",
			"/mobileconfig?emailaddress=carol%40example.com&protocol=pop3", "", "mobileconfig, POP3"},
	} {
		want, stderr, code := runCLI(t, append(c.args, "--domain-file", file)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.comment, code, stderr)
		}
		r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != 200 || w.Body.String() != want {
			t.Errorf("%s: serve (%d) and profile differ:\n%s\n--- profile:\n%s", c.comment, w.Code, w.Body, want)
		}
	}
	// serve --autoconfig-version 1.1 answers what profile writes with it.
	srv11, err := serve.New(serve.Config{Domains: domains, Options: profiles.Options{AutoconfigVersion: profiles.Autoconfig11}})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := runCLI(t, "profile", "autoconfig", "--email", "bob@example.com", "--autoconfig-version", "1.1", "--domain-file", file)
	w := httptest.NewRecorder()
	srv11.ServeHTTP(w, httptest.NewRequest("GET", "/mail/config-v1.1.xml?emailaddress=bob%40example.com", nil))
	if w.Body.String() != want || !strings.Contains(want, `version="1.1"`) {
		t.Errorf("autoconfig 1.1: serve and profile differ:\n%s\n--- profile:\n%s", w.Body, want)
	}
}

// With --sign-cert, the profile served is a CMS SignedData whose content is
// the unsigned profile, signed by that certificate.
func TestServeSignsProfiles(t *testing.T) {
	dir := t.TempDir()
	file := writeDomainFile(t, dir, "example.yaml", serveDomainFile)
	cert, key := integration.SelfSignedCert(t, dir, "profiles.example.com")
	opts := &serveOptions{io: streams{err: io.Discard}, domainFiles: []string{file}, signCert: cert, signKey: key}
	signer, err := opts.loadSigner()
	if err != nil {
		t.Fatal(err)
	}
	domains, _, _ := opts.loadDomains(t.Context())
	srv, err := serve.New(serve.Config{Domains: domains, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/mobileconfig?emailaddress=carol%40example.com", nil))
	p7, err := pkcs7.Parse(w.Body.Bytes())
	if err != nil {
		t.Fatalf("not a CMS structure: %v", err)
	}
	if err := p7.Verify(); err != nil {
		t.Errorf("signature: %v", err)
	}
	want, _, _ := runCLI(t, "profile", "mobileconfig", "--email", "carol@example.com", "--domain-file", file)
	if string(p7.Content) != want {
		t.Error("the signed content is not the unsigned profile")
	}
	if len(p7.Certificates) == 0 || p7.Certificates[0].Subject.CommonName != "profiles.example.com" {
		t.Errorf("signed by %v", p7.Certificates)
	}
}

// Started as an admin starts it: over HTTPS, SIGHUP reloads the domain
// directory and the certificate; SIGTERM lets a request in flight finish,
// then the command returns.
func TestServeReloadsAndShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	domains := filepath.Join(dir, "domains")
	if err := os.Mkdir(domains, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDomainFile(t, domains, "example.yaml", serveDomainFile)
	cert, key := integration.SelfSignedCert(t, dir, "autoconfig.example.com")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrCh := make(chan string, 1)
	logs := &syncWriter{w: &bytes.Buffer{}}
	opts := &serveOptions{io: streams{err: logs}, listen: "127.0.0.1:0", domainDir: domains, cert: cert, key: key,
		mtaSTS: serve.MTASTSNone, rate: 0, logFormat: "json", accessLog: true, shutdownTimeout: 10 * time.Second,
		ready: func(a string) { addrCh <- a }}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, opts) }()
	var addr string
	select {
	case addr = <-addrCh:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	}
	pem, _ := os.ReadFile(cert)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "autoconfig.example.com", MinVersion: tls.VersionTLS12}}}
	if resp, err := client.Get("https://" + addr + "/healthz"); err != nil || resp.ProtoMajor != 2 {
		t.Errorf("HTTP/2 over TLS: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	get := func(path string) int {
		resp, err := client.Get("https://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/mail/config-v1.1.xml?emailaddress=a@example.net"); code != 404 {
		t.Fatalf("example.net before the reload: %d", code)
	}
	writeDomainFile(t, domains, "net.yaml", "domains: [example.net]\nhosts: {imap: mail.example.net, smtp: mail.example.net}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for get("/mail/config-v1.1.xml?emailaddress=a@example.net") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload the domain directory")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A broken file on the next reload keeps what is served.
	writeDomainFile(t, domains, "broken.yaml", "domains: [\n")
	_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
	time.Sleep(100 * time.Millisecond)
	if code := get("/mail/config-v1.1.xml?emailaddress=a@example.net"); code != 200 {
		t.Errorf("after a failed reload: %d", code)
	}

	// A request in flight: its body arrives after the shutdown began.
	pr, pw := io.Pipe()
	result := make(chan int, 1)
	go func() {
		resp, err := client.Post("https://"+addr+"/autodiscover/autodiscover.xml", "text/xml", pr)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	_, _ = io.WriteString(pw, `<Autodiscover><Request><EMailAddress>bob@`)
	time.Sleep(100 * time.Millisecond) // the request has reached the handler
	cancel()                           // what SIGTERM does (signal.NotifyContext)
	time.Sleep(100 * time.Millisecond)
	_, _ = io.WriteString(pw, `example.com</EMailAddress></Request></Autodiscover>`)
	pw.Close()
	if code := <-result; code != 200 {
		t.Errorf("the request in flight got %d", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	for _, want := range []string{`"msg":"reloaded"`, `"msg":"reload failed: still serving the previous configuration"`, `"msg":"shutting down`, `"endpoint":"autoconfig"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "a@example.net") {
		t.Error("the access log holds an address")
	}
}

func TestServeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "no domain to serve"},
		{[]string{"serve", "--domain", "gmail.com"}, "public mail provider"},
		{[]string{"serve", "--domain", "example.com", "--mta-sts", "strict"}, `invalid argument "strict" for "--mta-sts" flag: want one of enforce, testing, none`},
		{[]string{"serve", "--domain", "example.com", "--log-format", "xml"}, "--log-format"},
		{[]string{"serve", "--domain", "example.com", "--domain", "example.com"}, "example.com is described twice, in --domain and in --domain"},
		{[]string{"serve", "--domain-dir", filepath.Join(dir, "none")}, "--domain-dir"},
		{[]string{"serve", "--domain", "example.com", "--listen", "127.0.0.1:99999"}, "--listen"},
		{[]string{"serve", "--domain", "example.com", "--public-url", "example.com"}, "--public-url"},
		{[]string{"serve", "--domain", "example.com", "--cert", "x.pem"}, "cert"},
	} {
		_, stderr, code := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// syncWriter lets the server's goroutines and the test share a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// --domain-dir reads the layout Kubernetes mounts a ConfigMap as: each key
// a link to ..data/KEY, ..data a link to a dated directory. A link that
// leaves the directory is not followed.
func TestServeDomainDirKubeletLayout(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	dated := filepath.Join(dir, "..2026_12_07_01_00_00.123456789")
	if err := os.Mkdir(dated, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDomainFile(t, dated, "example.com.yaml", serveDomainFile)
	writeDomainFile(t, outside, "evil.yaml", "domains: [evil.example]\n")
	for _, l := range []struct{ target, name string }{
		{filepath.Base(dated), "..data"},
		{"..data/example.com.yaml", "example.com.yaml"},
		{filepath.Join(outside, "evil.yaml"), "evil.yaml"},
	} {
		if err := os.Symlink(l.target, filepath.Join(dir, l.name)); err != nil {
			t.Fatal(err)
		}
	}
	opts := &serveOptions{io: streams{err: io.Discard}, domainDir: dir}
	domains, _, err := opts.loadDomains(t.Context())
	if err != nil {
		t.Fatalf("the kubelet layout: %v", err)
	}
	if len(domains) != 1 || domains[0].Domains[0] != "example.com" {
		t.Errorf("domains %+v: want example.com alone (the link out of the directory left out)", domains)
	}
}

// kubeletSwap replaces the ConfigMap's files as the kubelet does: a new
// dated directory with the new keys, a ..data_tmp link to it renamed over
// ..data, the old directory removed, and a link per key.
func kubeletSwap(t *testing.T, dir string, n int, files map[string]string) {
	t.Helper()
	dated := fmt.Sprintf("..2026_12_07_%02d", n)
	if err := os.Mkdir(filepath.Join(dir, dated), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		writeDomainFile(t, filepath.Join(dir, dated), name, content)
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			if err := os.Symlink("..data/"+name, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	if err := os.Symlink(dated, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if old != "" {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
}

// serve --domain-dir on the kubelet's layout follows a ConfigMap change
// without a signal: the new set within 2 s; a bad set keeps the last good
// one and says so in /metrics.
func TestServeFollowsTheKubeletSwap(t *testing.T) {
	dir := t.TempDir()
	kubeletSwap(t, dir, 1, map[string]string{"example.com.yaml": "domains: [example.com]\n"})
	srv := startServe(t, &serveOptions{listen: "127.0.0.1:0", domainDir: dir, watch: true,
		mtaSTS: serve.MTASTSNone, logFormat: "json", shutdownTimeout: time.Second})
	get, logs := srv.get, srv.logs
	waitFor := func(what string, ok func() bool) time.Duration { return srv.waitFor(what, 2*time.Second, ok) }
	if code, _ := get("/mail/config-v1.1.xml?emailaddress=a@example.net"); code != 404 {
		t.Fatalf("example.net before the change: %d", code)
	}
	kubeletSwap(t, dir, 2, map[string]string{"example.com.yaml": "domains: [example.com]\n", "example.net.yaml": "domains: [example.net]\n"})
	took := waitFor("the new set", func() bool { code, _ := get("/mail/config-v1.1.xml?emailaddress=a@example.net"); return code == 200 })
	t.Logf("the swapped set served after %v", took.Round(time.Millisecond))
	if _, m := get("/metrics"); !strings.Contains(m, "mailadvisor_domains_generation 2") || !strings.Contains(m, "mailadvisor_domains_last_reload_success 1") {
		t.Errorf("metrics after a good change:\n%s", grepLines(m, "mailadvisor_domains"))
	}
	// A bad set: the last good one stays, and the failure shows.
	kubeletSwap(t, dir, 3, map[string]string{"example.com.yaml": "domains: [example.com]\n", "example.net.yaml": "domains: [\n"})
	waitFor("the failure metric", func() bool {
		_, m := get("/metrics")
		return strings.Contains(m, "mailadvisor_domains_last_reload_success 0")
	})
	if code, _ := get("/mail/config-v1.1.xml?emailaddress=a@example.net"); code != 200 {
		t.Errorf("after a bad set: example.net %d, want the last good set served", code)
	}
	waitFor("the failure's log line (written in batches)", func() bool {
		return strings.Contains(logs.String(), "reload failed: still serving the previous configuration")
	})
	srv.stop()
}

// runningServe is runServe in the test's process, on loopback.
type runningServe struct {
	t      *testing.T
	addr   string
	logs   *syncWriter
	cancel context.CancelFunc
	done   chan error
}

// startServe runs serve with opts (its stderr and ready hook the
// test's) until it listens.
func startServe(t *testing.T, opts *serveOptions) *runningServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningServe{t: t, logs: &syncWriter{w: &bytes.Buffer{}}, cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(cancel)
	addrCh := make(chan string, 1)
	opts.io.err = s.logs
	if opts.io.inputs == nil {
		opts.io.inputs = &inputSet{}
	}
	opts.ready = func(a string) { addrCh <- a }
	go func() { s.done <- runServe(ctx, opts) }()
	select {
	case s.addr = <-addrCh:
	case err := <-s.done:
		t.Fatalf("serve stopped: %v\n%s", err, s.logs)
	}
	return s
}

// get asks for path over plain HTTP.
func (s *runningServe) get(path string) (int, string) {
	s.t.Helper()
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitFor waits until ok, at most within, and says how long it took.
func (s *runningServe) waitFor(what string, within time.Duration, ok func() bool) time.Duration {
	s.t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > within {
			s.t.Fatalf("%s: not within %v\n%s", what, within, s.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// stop stops serve as SIGTERM does, and checks it ended well.
func (s *runningServe) stop() {
	s.t.Helper()
	s.cancel()
	if err := <-s.done; err != nil {
		s.t.Error(err)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// HTTPS as Mozilla's intermediate profile: AEAD suites only, TLS 1.2 at
// least; /metrics on its own listener, off the public one; a warning for
// a key others can read and for an expired certificate.
func TestServeTLSMetricsListenerAndWarnings(t *testing.T) {
	dir := t.TempDir()
	file := writeDomainFile(t, dir, "example.yaml", serveDomainFile)
	cert, key := integration.SelfSignedCert(t, dir, "autoconfig.example.com")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrCh := make(chan string, 1)
	logs := &syncWriter{w: &bytes.Buffer{}}
	opts := &serveOptions{io: streams{err: logs}, listen: "127.0.0.1:0", metricsListen: "127.0.0.1:0", domainFiles: []string{file},
		cert: cert, key: key, mtaSTS: serve.MTASTSNone, logFormat: "text", shutdownTimeout: time.Second,
		ready: func(a string) { addrCh <- a }}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, opts) }()
	var addr string
	select {
	case addr = <-addrCh:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	}
	if !strings.Contains(logs.String(), "is readable by others (mode 0644)") {
		t.Errorf("no warning for a key others can read:\n%s", logs)
	}
	pem, _ := os.ReadFile(cert)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	dial := func(cfg *tls.Config) error {
		cfg.RootCAs, cfg.ServerName = pool, "autoconfig.example.com"
		c, err := tls.Dial("tcp", addr, cfg)
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256} {
		if err := dial(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}}); err == nil {
			t.Errorf("%s accepted: want AEAD suites only", tls.CipherSuiteName(suite))
		}
	}
	if err := dial(&tls.Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("TLS 1.1 accepted")
	}
	for _, cfg := range []*tls.Config{{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, {MinVersion: tls.VersionTLS13}} {
		if err := dial(cfg); err != nil {
			t.Errorf("an AEAD handshake failed: %v", err)
		}
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "autoconfig.example.com", MinVersion: tls.VersionTLS12}}}
	resp, err := client.Get("https://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: %d, want 404", resp.StatusCode)
	}
	_, after, _ := strings.Cut(logs.String(), "metrics on http://")
	metricsAddr, _, _ := strings.Cut(after, "/metrics")
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("the metrics listener (%q): %v", metricsAddr, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "mailadvisor_domains_generation 1") {
		t.Errorf("the metrics listener: %d\n%s", resp.StatusCode, grepLines(string(body), "mailadvisor_"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}

	// An expired certificate is said at start.
	var w bytes.Buffer
	expired := tls.Certificate{Leaf: &x509.Certificate{NotBefore: time.Now().Add(-100 * 24 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}}
	(&serveOptions{io: streams{err: &w}}).warnCert(&expired, time.Now())
	soon := tls.Certificate{Leaf: &x509.Certificate{NotBefore: time.Now().Add(-80 * 24 * time.Hour), NotAfter: time.Now().Add(3 * 24 * time.Hour)}}
	(&serveOptions{io: streams{err: &w}}).warnCert(&soon, time.Now())
	if !strings.Contains(w.String(), "--cert expired on") || !strings.Contains(w.String(), "--cert expires in 2 days") {
		t.Errorf("certificate warnings:\n%s", w.String())
	}
}

// PACC: the document serve answers on ua-auto-config. is byte for byte
// what `profile pacc` writes for the same domain file, and its SHA-256 is
// the digest of `profile pacc`'s record, of `profile srv`'s and of the zone
// `server all` writes beside the serve-domain.yaml serve is given; lint
// accepts the document against that record and refuses it with one byte
// changed.
func TestPACCDigestsAgree(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runCLI(t, "server", "all", "--domain", "example.com", "--ipv4", "192.0.2.25", "--out", dir); code != 0 {
		t.Fatalf("server all: exit %d: %s", code, stderr)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "example.com.zone"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "serve-domain.yaml")
	opts := &serveOptions{io: streams{err: io.Discard}, domainFiles: []string{file}}
	domains, _, err := opts.loadDomains(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(serve.Config{Domains: domains})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "https://ua-auto-config.example.com/.well-known/user-agent-configuration.json", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("serve: %d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	body := w.Body.Bytes()
	sum := sha256.Sum256(body)
	digest := "v=UAAC1; a=sha256; d=" + base64.StdEncoding.EncodeToString(sum[:])
	record := fmt.Sprintf("_ua-auto-config.example.com. 3600 IN TXT %q", digest)

	profile, stderr, code := runCLI(t, "profile", "pacc", "--domain-file", file)
	if code != 0 || profile != string(body) {
		t.Errorf("profile pacc (exit %d) and serve differ:\n%s\n--- serve:\n%s", code, profile, body)
	}
	if !strings.Contains(stderr, record) {
		t.Errorf("profile pacc's record is not the digest of serve's bytes (%s):\n%s", record, stderr)
	}
	if srvOut, _, _ := runCLI(t, "profile", "srv", "--domain-file", file); !strings.Contains(srvOut, record) {
		t.Errorf("profile srv lacks %s:\n%s", record, srvOut)
	}
	if !strings.Contains(string(zone), `_ua-auto-config 3600 IN TXT "`+digest+`"`) || !strings.Contains(string(zone), "ua-auto-config 3600 IN CNAME mail.example.com.") {
		t.Errorf("the zone does not pin serve's bytes (%s):\n%s", digest, zone)
	}

	doc := filepath.Join(dir, "user-agent-configuration.json")
	if err := os.WriteFile(doc, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := runCLI(t, "lint", "--pacc-record", digest, doc); code != 0 {
		t.Errorf("lint of serve's document against its record: exit %d\n%s%s", code, out, stderr)
	}
	changed := bytes.Replace(body, []byte("mail.example.com"), []byte("mail.example.con"), 1)
	if err := os.WriteFile(doc, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, code := runCLI(t, "lint", "--pacc-record", digest, doc); code != 1 || !strings.Contains(out, "pacc-digest") {
		t.Errorf("lint of a changed document: exit %d\n%s", code, out)
	}
}
