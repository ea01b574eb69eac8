package discover

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// RefusedError is a connection discovery did not make: the address is
// not a public one (a name that resolves to the machine itself, a private
// network or a cloud's metadata service is a way to make the tool fetch
// what the user never meant, or to scan ports).
type RefusedError struct {
	Addr netip.Addr
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s, a %s address: discovery fetches from public addresses only (--allow-private for a lab)", e.Addr, e.Why)
}

// sharedAddressSpace (RFC 6598) and thisNetwork (RFC 791) are not public
// either; netip does not name them.
var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")
	benchmarking       = netip.MustParsePrefix("198.18.0.0/15")
)

// nonPublic says why ip is not a public address ("" when it is).
func nonPublic(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified() || thisNetwork.Contains(ip):
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsPrivate() && ip.Is6():
		return "unique local (ULA)"
	case ip.IsPrivate() || sharedAddressSpace.Contains(ip) || benchmarking.Contains(ip):
		return "private"
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return "multicast"
	}
	return ""
}

// PublicOnly is a net.Dialer Control function that refuses every address
// that is not public, after the name is resolved and on every redirect
// (it runs on each connection).
func PublicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if why := nonPublic(ip); why != "" {
		return &RefusedError{Addr: ip.Unmap(), Why: why}
	}
	return nil
}

// maxRedirects bounds the redirects an autoconfig fetch follows.
const maxRedirects = 5

// client is cfg.Client with the redirect rule: https only (unless
// AllowHTTP), at most maxRedirects.
func (cfg Config) client() *http.Client {
	c := *cfg.Client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("over %d redirects", maxRedirects)
		}
		if req.URL.Scheme != "https" && !(cfg.AllowHTTP && req.URL.Scheme == "http") {
			return fmt.Errorf("redirected to %s, which is not HTTPS: not followed (--allow-http to follow it)", req.URL.Redacted())
		}
		return nil
	}
	return &c
}

// DefaultClient is the HTTPS client discovery uses when none is given:
// public addresses only unless allowPrivate.
func DefaultClient(resolver *net.Resolver, allowPrivate bool) *http.Client {
	d := &net.Dialer{Resolver: resolver}
	if !allowPrivate {
		d.Control = PublicOnly
	}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, ForceAttemptHTTP2: true}}
}

// words says why a source gave nothing, in a few words and with the
// resolver it asked, rather than Go's chain of errors.
func (cfg Config) words(err error) string {
	var refused *RefusedError
	var dnsErr *net.DNSError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var urlErr *url.Error
	var opErr *net.OpError
	resolver := cfg.ResolverName
	if resolver == "" {
		resolver = "the system's resolver"
	}
	switch {
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Sprintf("%s: no such name (asked %s)", dnsErr.Name, resolver)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("%s: the DNS server %s does not answer", dnsErr.Name, resolver)
	case errors.As(err, &hostErr):
		return fmt.Sprintf("the certificate is not valid for %s (it names %s)", hostErr.Host, strings.Join(hostErr.Certificate.DNSNames, ", "))
	case errors.As(err, &authErr):
		return "the certificate is not from a trusted CA"
	case errors.As(err, &invalid):
		return "the certificate is not valid: " + invalid.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer before the deadline"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		var se syscall.Errno
		if errors.As(err, &se) {
			return fmt.Sprintf("could not connect to %s: %s", opErr.Addr, se.Error())
		}
		return fmt.Sprintf("could not connect to %s", opErr.Addr)
	case errors.As(err, &urlErr):
		return urlErr.Err.Error()
	}
	return err.Error()
}

// unreachable reports whether err says the network, not the source, is
// missing: a resolver or a server that does not answer at all.
func unreachable(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return !dnsErr.IsNotFound
	case errors.As(err, &opErr):
		return opErr.Op == "dial" || opErr.Op == "read"
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// OfflineError says that nothing answered: no DNS, no web server. It is
// not "no settings": the network is missing.
type OfflineError struct{ Resolver string }

func (e *OfflineError) Error() string {
	return "no network: the DNS server " + e.Resolver + " and every web server discovery tried gave no answer"
}
