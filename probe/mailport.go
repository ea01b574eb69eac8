package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// session is what a mail dialogue showed.
type session struct {
	banner   string
	before   []string // capabilities before TLS (plain ports)
	starttls bool     // offered before TLS
	after    []string // capabilities over TLS
	state    tls.ConnectionState
	relayed  *bool // with OpenRelay, on port 25: whether RCPT to a foreign domain was accepted
	relayMsg string
}

// conn is a mail connection with a line reader bounded by construction:
// a line longer than maxLine is an error as soon as the buffer fills,
// never read on; a dialogue stops after maxDialogueBytes or
// maxDialogueLines, whatever the server sends.
type conn struct {
	c            net.Conn
	r            *bufio.Reader
	bytes, lines int // read so far on this connection
}

// Limits of one connection's dialogue. RFC 5321 caps a reply line at 512
// octets and RFC 3501 leaves IMAP lines to the server, but no capability
// or greeting line a client reads needs more than 4 KiB; no opening
// dialogue more than a few hundred lines.
const (
	maxLine          = 4096
	maxDialogueBytes = 1 << 20
	maxDialogueLines = 2000
)

// errTooMuch is a server that sends more than a dialogue can need.
var errTooMuch = errors.New("the server sent more than a mail dialogue needs")

func newConn(nc net.Conn) *conn { return &conn{c: nc, r: bufio.NewReaderSize(nc, maxLine)} }

func (c *conn) line() (string, error) {
	b, err := c.r.ReadSlice('\n')
	c.bytes += len(b)
	c.lines++
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("line too long (over %d bytes)", maxLine)
	case c.bytes > maxDialogueBytes || c.lines > maxDialogueLines:
		return "", errTooMuch
	}
	return strings.TrimRight(string(b), "\r\n"), err
}

func (c *conn) send(cmd string) error {
	_, err := c.c.Write([]byte(cmd + "\r\n"))
	return err
}

func (c *conn) upgrade(ctx context.Context, cfg *tls.Config) error {
	tc := tls.Client(c.c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	c.c, c.r = tc, bufio.NewReaderSize(tc, maxLine)
	return nil
}

// smtpReply reads a reply, all its lines, and returns its code and lines'
// text.
func (c *conn) smtpReply() (int, []string, error) {
	var lines []string
	for {
		l, err := c.line()
		if err != nil {
			return 0, lines, err
		}
		if len(l) < 3 {
			return 0, lines, fmt.Errorf("bad SMTP reply %q", l)
		}
		code := 0
		if _, err := fmt.Sscanf(l[:3], "%d", &code); err != nil {
			return 0, lines, fmt.Errorf("bad SMTP reply %q", l)
		}
		text := ""
		if len(l) > 4 {
			text = l[4:]
		}
		lines = append(lines, text)
		if len(l) == 3 || l[3] == ' ' {
			return code, lines, nil
		}
	}
}

func (c *conn) smtpCmd(cmd string, want int) ([]string, error) {
	if err := c.send(cmd); err != nil {
		return nil, err
	}
	code, lines, err := c.smtpReply()
	if err != nil {
		return nil, err
	}
	if code != want {
		return lines, fmt.Errorf("%s: %d %s", strings.Fields(cmd)[0], code, strings.Join(lines, " "))
	}
	return lines, nil
}

// imapCmd sends a tagged command and returns the untagged lines.
func (c *conn) imapCmd(tag, cmd string) ([]string, error) {
	if err := c.send(tag + " " + cmd); err != nil {
		return nil, err
	}
	var untagged []string
	for {
		l, err := c.line()
		if err != nil {
			return untagged, err
		}
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			if !strings.HasPrefix(strings.ToUpper(rest), "OK") {
				return untagged, fmt.Errorf("%s: %s", cmd, rest)
			}
			return untagged, nil
		}
		untagged = append(untagged, l)
	}
}

func imapCaps(lines []string) []string {
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(strings.ToUpper(l), "* CAPABILITY "); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}

// pop3Capa runs CAPA: the capability lines, nil when unsupported.
func (c *conn) pop3Capa() ([]string, error) {
	if err := c.send("CAPA"); err != nil {
		return nil, err
	}
	l, err := c.line()
	if err != nil || !strings.HasPrefix(l, "+OK") {
		return nil, err
	}
	var caps []string
	for {
		l, err := c.line()
		if err != nil {
			return caps, err
		}
		if l == "." {
			return caps, nil
		}
		caps = append(caps, strings.ToUpper(l))
	}
}

// tlsConfig is the configuration of every handshake (verification is done
// apart, to report why a certificate fails).
func tlsConfig(cfg *Config) *tls.Config {
	return &tls.Config{ServerName: cfg.ServerName, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10} //nolint:gosec // verified by hand in certificateCheck
}

// dialogue connects to s and runs the client's opening: the greeting,
// the capabilities, STARTTLS on a plain port, the capabilities over TLS.
// tc is the TLS configuration of the handshake; full runs the whole
// dialogue (false: stop right after the handshake).
func dialogue(ctx context.Context, cfg *Config, s Service, tc *tls.Config, full bool) (*session, error) {
	nc, err := cfg.Dial(ctx, "tcp", cfg.addr(s))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	c := newConn(nc)
	ss := &session{}
	if s.Implicit {
		if err := ss.upgrade(ctx, c, tc); err != nil || !full {
			return ss, err
		}
	}
	switch s.Protocol {
	case "smtp":
		err = smtpDialogue(ctx, cfg, s, c, ss, tc, full)
	case "imap":
		err = imapDialogue(ctx, s, c, ss, tc, full)
	case "pop3":
		err = pop3Dialogue(ctx, s, c, ss, tc, full)
	}
	return ss, err
}

// upgrade runs the TLS handshake on c (at once on an implicit-TLS port,
// after STARTTLS on the others) and records the connection's state.
func (ss *session) upgrade(ctx context.Context, c *conn, tc *tls.Config) error {
	if err := c.upgrade(ctx, tc); err != nil {
		return &tlsError{err}
	}
	ss.state = c.c.(*tls.Conn).ConnectionState()
	return nil
}

// tlsError is a failed handshake.
type tlsError struct{ err error }

func (e *tlsError) Error() string { return "TLS handshake: " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

func smtpDialogue(ctx context.Context, cfg *Config, s Service, c *conn, ss *session, tc *tls.Config, full bool) error {
	code, lines, err := c.smtpReply()
	if err != nil {
		return err
	}
	if code != 220 {
		return fmt.Errorf("greeting %d %s", code, strings.Join(lines, " "))
	}
	ss.banner = strings.Join(lines, " ")
	caps, err := c.smtpCmd("EHLO probe.mailadvisor.invalid", 250)
	if err != nil {
		return err
	}
	caps = upper(caps[1:])
	if s.Implicit {
		ss.after = caps
	} else {
		ss.before = caps
		ss.starttls = slices.Contains(caps, "STARTTLS")
		if !ss.starttls {
			return nil
		}
		if _, err := c.smtpCmd("STARTTLS", 220); err != nil {
			return err
		}
		if err := ss.upgrade(ctx, c, tc); err != nil || !full {
			return err
		}
		if caps, err = c.smtpCmd("EHLO probe.mailadvisor.invalid", 250); err != nil {
			return err
		}
		ss.after = upper(caps[1:])
	}
	if cfg.OpenRelay && s.Port == 25 {
		from, to := "mailadvisor-probe@mailadvisor.invalid", "relay-test@example.net"
		if strings.HasSuffix(strings.ToLower(cfg.Domain), "example.net") {
			to = "relay-test@example.org"
		}
		if _, err := c.smtpCmd("MAIL FROM:<"+from+">", 250); err != nil {
			ss.relayMsg = err.Error()
			f := false
			ss.relayed = &f
		} else {
			lines, err := c.smtpCmd("RCPT TO:<"+to+">", 250)
			relayed := err == nil
			ss.relayed = &relayed
			ss.relayMsg = "RCPT TO:<" + to + ">: " + strings.Join(lines, " ")
			if err != nil {
				ss.relayMsg = err.Error()
			}
		}
		_, _ = c.smtpCmd("RSET", 250)
	}
	_ = c.send("QUIT")
	return nil
}

func imapDialogue(ctx context.Context, s Service, c *conn, ss *session, tc *tls.Config, full bool) error {
	greet, err := c.line()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.ToUpper(greet), "* OK") {
		return fmt.Errorf("greeting %q", greet)
	}
	ss.banner = strings.TrimSpace(greet[4:])
	lines, err := c.imapCmd("a1", "CAPABILITY")
	if err != nil {
		return err
	}
	caps := imapCaps(lines)
	if s.Implicit {
		ss.after = caps
	} else {
		ss.before = caps
		ss.starttls = slices.Contains(caps, "STARTTLS")
		if !ss.starttls {
			return nil
		}
		if _, err := c.imapCmd("a2", "STARTTLS"); err != nil {
			return err
		}
		if err := ss.upgrade(ctx, c, tc); err != nil || !full {
			return err
		}
		if lines, err = c.imapCmd("a3", "CAPABILITY"); err != nil {
			return err
		}
		ss.after = imapCaps(lines)
	}
	_, _ = c.imapCmd("a9", "LOGOUT")
	return nil
}

func pop3Dialogue(ctx context.Context, s Service, c *conn, ss *session, tc *tls.Config, full bool) error {
	greet, err := c.line()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(greet, "+OK") {
		return fmt.Errorf("greeting %q", greet)
	}
	ss.banner = strings.TrimSpace(greet[3:])
	caps, err := c.pop3Capa()
	if err != nil {
		return err
	}
	if s.Implicit {
		ss.after = caps
	} else {
		ss.before = caps
		ss.starttls = slices.Contains(caps, "STLS")
		if !ss.starttls {
			return nil
		}
		if err := c.send("STLS"); err != nil {
			return err
		}
		l, err := c.line()
		if err != nil {
			return fmt.Errorf("STLS: %w", err)
		}
		if !strings.HasPrefix(l, "+OK") {
			return fmt.Errorf("STLS: %q", l)
		}
		if err := ss.upgrade(ctx, c, tc); err != nil || !full {
			return err
		}
		if ss.after, err = c.pop3Capa(); err != nil {
			return err
		}
	}
	_ = c.send("QUIT")
	return nil
}

func upper(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToUpper(strings.TrimSpace(s))
	}
	return out
}

// cleartextAuth says which login the capabilities offer, "" for none.
func cleartextAuth(protocol string, caps []string) string {
	switch protocol {
	case "smtp":
		for _, c := range caps {
			if strings.HasPrefix(c, "AUTH") {
				return c
			}
		}
	case "imap":
		var offered []string
		if !slices.Contains(caps, "LOGINDISABLED") {
			offered = append(offered, "LOGIN (no LOGINDISABLED)")
		}
		for _, c := range caps {
			if strings.HasPrefix(c, "AUTH=") {
				offered = append(offered, c)
			}
		}
		return strings.Join(offered, ", ")
	case "pop3":
		var offered []string
		for _, c := range caps {
			if c == "USER" || strings.HasPrefix(c, "SASL ") && len(strings.Fields(c)) > 1 {
				offered = append(offered, c)
			}
		}
		return strings.Join(offered, ", ")
	}
	return ""
}

// authMechanisms lists the login methods the capabilities offer.
func authMechanisms(protocol string, caps []string) string {
	var out []string
	for _, c := range caps {
		switch {
		case protocol == "smtp" && strings.HasPrefix(c, "AUTH"):
			out = append(out, strings.Fields(strings.ReplaceAll(c[4:], "=", " "))...)
		case protocol == "imap" && strings.HasPrefix(c, "AUTH="):
			out = append(out, c[5:])
		case protocol == "pop3" && strings.HasPrefix(c, "SASL "):
			out = append(out, strings.Fields(c)[1:]...)
		case protocol == "pop3" && c == "USER":
			out = append(out, "USER")
		}
	}
	if protocol == "imap" && len(caps) > 0 && !slices.Contains(caps, "LOGINDISABLED") {
		out = append(out, "LOGIN-command")
	}
	return strings.Join(slices.Compact(out), " ")
}

// probeService checks one mail port.
func probeService(ctx context.Context, cfg *Config, s Service) []Check {
	group := fmt.Sprintf("%s %d", s.Name, s.Port)
	check := func(name string, st Status, format string, args ...any) Check {
		return Check{Group: group, Name: name, Status: st, Detail: fmt.Sprintf(format, args...)}
	}
	ss, err := dialogue(ctx, cfg, s, tlsConfig(cfg), true)
	if ss == nil { // not connected
		return []Check{closedCheck(s, group, err)}
	}
	var tlsErr *tlsError
	out := []Check{check("open", Info, "open: %s", map[bool]string{true: "implicit TLS", false: "cleartext first, STARTTLS to encrypt"}[s.Implicit])}
	if errors.As(err, &tlsErr) {
		f := check("tls", Fail, "%v", err)
		f.Critical = true
		return append(out, f)
	}
	if err != nil {
		out = append(out, check("dialogue", Fail, "%v", err))
		if ss.state.HandshakeComplete {
			// The TLS layer held even though the dialogue over it did not:
			// what it accepts is still what a client meets.
			out = append(out, certificateCheck(cfg, group, ss.state), groupCheck(group, ss.state))
			out = append(out, versionsCheck(ctx, cfg, s, group), ciphersCheck(ctx, cfg, s, group, ss.state))
		}
		return out
	}
	out = append(out, check("banner", Info, "%s", ss.banner))
	caps := "over TLS: " + strings.Join(ss.after, " ")
	if !s.Implicit {
		caps = "before TLS: " + strings.Join(ss.before, " ") + "; " + caps
	}
	out = append(out, check("capabilities", Info, "%s", caps))
	if !s.Implicit {
		if offered := cleartextAuth(s.Protocol, ss.before); offered != "" {
			c := check("auth-before-tls", Fail, "logins offered before TLS: %s", offered)
			c.Critical = true
			out = append(out, c)
		} else {
			out = append(out, check("auth-before-tls", Pass, "no login before TLS"))
		}
		if !ss.starttls {
			st := Fail
			if s.Port == 25 {
				st = Warn
			}
			return append(out, check("starttls", st, "STARTTLS not offered: mail and passwords cross the network in clear"))
		}
		out = append(out, check("starttls", Pass, "STARTTLS offered"))
	}
	mechs := authMechanisms(s.Protocol, ss.after)
	switch {
	case s.Port == 25:
		if mechs != "" {
			out = append(out, check("auth-after-tls", Warn, "AUTH on port 25 (%s): submission belongs on 465 or 587", mechs))
		}
	case mechs == "":
		st := Warn
		if s.Protocol == "smtp" {
			st = Fail
		}
		out = append(out, check("auth-after-tls", st, "no login method offered over TLS"))
	default:
		out = append(out, check("auth-after-tls", Pass, "over TLS: %s", mechs))
	}
	if ss.relayed != nil {
		if *ss.relayed {
			c := check("open-relay", Fail, "accepts mail for a domain it does not serve from anyone: %s", ss.relayMsg)
			c.Critical = true
			out = append(out, c)
		} else {
			out = append(out, check("open-relay", Pass, "refuses to relay: %s", ss.relayMsg))
		}
	}
	cert := certificateCheck(cfg, group, ss.state)
	cert.certs = ss.state.PeerCertificates
	out = append(out, cert, groupCheck(group, ss.state))
	out = append(out, versionsCheck(ctx, cfg, s, group), ciphersCheck(ctx, cfg, s, group, ss.state))
	return out
}

// postQuantum are the hybrid key exchanges that hold against a quantum
// computer recording the connection today.
var postQuantum = []tls.CurveID{tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024}

// groupCheck says which key exchange the handshake used: a post-quantum
// hybrid passes, another is noted (no client needs one yet).
func groupCheck(group string, st tls.ConnectionState) Check {
	c := Check{Group: group, Name: "key-exchange"}
	switch {
	case st.CurveID == 0:
		c.Status, c.Detail = Info, "no key exchange group (RSA key exchange, or not reported)"
	case slices.Contains(postQuantum, st.CurveID):
		c.Status, c.Detail = Pass, st.CurveID.String()+": post-quantum hybrid"
	default:
		c.Status, c.Detail = Info, st.CurveID.String()+": not post-quantum (X25519MLKEM768 needs OpenSSL 3.5 on the server; `mailadvisor server --openssl-version 3.5`)"
	}
	return c
}

// closedCheck says what a port that does not answer means.
func closedCheck(s Service, group string, err error) Check {
	why := "closed"
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		why = "no answer (filtered, or down)"
	case err != nil:
		why = "closed (" + err.Error() + ")"
	}
	c := Check{Group: group, Name: "open", Detail: why}
	switch s.Name {
	case "imap", "pop3":
		c.Status, c.Detail = Pass, why+": no cleartext mailbox port"
	case "smtp":
		c.Status, c.Detail = Warn, why+": no mail can arrive here (fine for a submission-only host)"
	case "submission":
		c.Status, c.Detail = Info, why+": 465 is the preferred submission port (RFC 8314)"
	case "pop3s":
		c.Status, c.Detail = Info, why+": no POP3 over TLS"
	default:
		c.Status, c.Detail = Warn, why+": RFC 8314 asks for this implicit-TLS port"
	}
	return c
}

// certificateCheck verifies the chain the server sent against the roots,
// for the name clients use, at cfg.Now.
func certificateCheck(cfg *Config, group string, st tls.ConnectionState) Check {
	c := Check{Group: group, Name: "certificate"}
	if len(st.PeerCertificates) == 0 {
		c.Status, c.Detail = Fail, "no certificate"
		return c
	}
	leaf := st.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, ic := range st.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	now := cfg.Now()
	opts := x509.VerifyOptions{Roots: cfg.Roots, Intermediates: inter, CurrentTime: now, DNSName: cfg.ServerName}
	if _, err := netip.ParseAddr(cfg.ServerName); err == nil {
		opts.DNSName = "" // an address: checked below
	}
	_, err := leaf.Verify(opts)
	if err == nil && opts.DNSName == "" {
		err = leaf.VerifyHostname(cfg.ServerName)
	}
	days := int(leaf.NotAfter.Sub(now).Hours() / 24)
	desc := fmt.Sprintf("%s, issued by %s, expires %s", leaf.Subject.CommonName, leaf.Issuer.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly))
	switch {
	case err != nil:
		c.Status, c.Critical, c.Detail = Fail, true, fmt.Sprintf("%v (%s)", err, desc)
	case days < 14:
		c.Status, c.Detail = Warn, fmt.Sprintf("expires in %d days (%s)", days, desc)
	default:
		c.Status, c.Detail = Pass, fmt.Sprintf("valid for %s, %d days left (%s)", cfg.ServerName, days, desc)
	}
	return c
}

// versionsCheck tries a handshake at each TLS version.
func versionsCheck(ctx context.Context, cfg *Config, s Service, group string) Check {
	var accepted []string
	var old bool
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		tc := tlsConfig(cfg)
		tc.MinVersion, tc.MaxVersion = v, v
		if _, err := dialogue(ctx, cfg, s, tc, false); err == nil {
			accepted = append(accepted, tls.VersionName(v))
			old = old || v < tls.VersionTLS12
		}
	}
	c := Check{Group: group, Name: "tls-versions", Detail: "accepts " + strings.Join(accepted, ", ")}
	switch {
	case len(accepted) == 0:
		c.Status, c.Detail = Fail, "no TLS version accepted"
	case old:
		c.Status = Fail
		c.Detail += ": TLS 1.0 and 1.1 are deprecated (RFC 8996)"
	case !slices.Contains(accepted, "TLS 1.3"):
		c.Status = Pass
		c.Detail += " (TLS 1.3 would be better)"
	default:
		c.Status = Pass
	}
	return c
}

// ciphersCheck offers only the suites Go calls insecure, the broken ones
// (RC4, 3DES) first, then the others (CBC with SHA-256, RSA key exchange:
// no forward secrecy): a server that takes a broken one fails, one that
// takes only the others gets a warning.
func ciphersCheck(ctx context.Context, cfg *Config, s Service, group string, st tls.ConnectionState) Check {
	var broken, weak []uint16
	for _, cs := range tls.InsecureCipherSuites() {
		if strings.Contains(cs.Name, "RC4") || strings.Contains(cs.Name, "3DES") {
			broken = append(broken, cs.ID)
		} else {
			weak = append(weak, cs.ID)
		}
	}
	for _, offer := range []struct {
		suites []uint16
		status Status
	}{{broken, Fail}, {weak, Warn}} {
		if len(offer.suites) == 0 {
			continue
		}
		tc := tlsConfig(cfg)
		tc.MaxVersion, tc.CipherSuites = tls.VersionTLS12, offer.suites
		ss, err := dialogue(ctx, cfg, s, tc, false)
		if err != nil || ss == nil {
			continue
		}
		c := Check{Group: group, Name: "cipher-suites", Status: offer.status,
			Detail: "accepts the weak suite " + tls.CipherSuiteName(ss.state.CipherSuite)}
		if s.Port == 25 {
			// Between servers TLS is opportunistic (RFC 7435): a weak
			// suite beats the cleartext a sender would fall back to.
			c.Status, c.Detail = Info, c.Detail+" (port 25: opportunistic TLS takes what senders offer)"
		}
		return c
	}
	return Check{Group: group, Name: "cipher-suites", Status: Pass,
		Detail: fmt.Sprintf("no weak suite; %s with %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))}
}
