package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// DefaultACMEDirectory is Let's Encrypt's production directory.
const DefaultACMEDirectory = autocert.DefaultACMEDirectory

// ACMEConfig says where and how certificates are obtained.
type ACMEConfig struct {
	// Directory is the ACME server's directory URL (DefaultACMEDirectory
	// if "").
	Directory string
	// Email is the account's contact, for the CA's expiry notices; "" none.
	Email string
	// CacheDir keeps the account key and the certificates between runs
	// (created 0700); without it every start would ask the CA again and
	// soon meet its rate limits.
	CacheDir string
	// RootCAs verify the ACME server's own HTTPS (a private CA: step-ca,
	// Pebble); nil: the system's.
	RootCAs *x509.CertPool
}

// ACME is a certificate manager for every name the server answers for
// (each served domain and its autoconfig., autodiscover., mta-sts. and
// ua-auto-config. names), the set as it is now: a domain added by a
// reload gets its certificates at its first handshake, and a name not
// served is refused before the CA is asked. Certificates are renewed 30
// days before they expire. Challenges are answered with tls-alpn-01 on
// the TLS listener (ACMETLSConfig), so the names must reach it on port
// 443.
func (s *Server) ACME(cfg ACMEConfig) (*autocert.Manager, error) {
	if cfg.CacheDir == "" {
		return nil, errors.New("serve: ACME needs a cache directory")
	}
	dir := cfg.Directory
	if dir == "" {
		dir = DefaultACMEDirectory
	}
	client := &acme.Client{DirectoryURL: dir, UserAgent: "mailadvisor-serve"}
	if cfg.RootCAs != nil {
		client.HTTPClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			Proxy:           http.ProxyFromEnvironment,
			TLSClientConfig: &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		}}
	}
	return &autocert.Manager{
		Prompt: autocert.AcceptTOS, // asking for --acme is accepting the CA's terms
		Cache:  autocert.DirCache(cfg.CacheDir),
		Email:  cfg.Email,
		Client: client,
		HostPolicy: func(_ context.Context, host string) error {
			if s.site.Load().servedHost(strings.ToLower(strings.TrimSuffix(host, "."))) {
				return nil
			}
			return fmt.Errorf("serve: %q is not a name this server answers for: no certificate asked for it", host)
		},
	}, nil
}

// ACMETLSConfig is TLSConfig with the certificates of m, and the
// tls-alpn-01 protocol offered beside HTTP/2 and HTTP/1.1.
func ACMETLSConfig(m *autocert.Manager) *tls.Config {
	c := TLSConfig(m.GetCertificate)
	c.NextProtos = []string{"h2", "http/1.1", acme.ALPNProto}
	return c
}
