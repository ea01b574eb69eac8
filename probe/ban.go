package probe

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// Ban, when Attempts > 0, checks that password guessing is banned:
// fail2ban's jails, or whatever else the server runs. probe fails to log
// in Attempts times from this machine, each on a connection of its own
// (Dovecot logs one failure per connection, and fail2ban counts lines),
// with a login nobody has, then checks for Wait that a new connection is
// refused or left unanswered. It bans the machine that probes, for the
// server's ban time: only when asked.
type Ban struct {
	Attempts int           // failed logins to make (fail2ban bans at its maxretry, 5 by default)
	Wait     time.Duration // how long a ban may take to come (default 30 s)
	Timeout  time.Duration // the whole check's deadline (default 3 minutes: Dovecot delays each failure)
}

// banService is the port the check guesses on: IMAPS when it answered,
// else submissions (465).
func banService(checks []Check) (Service, bool) {
	for _, name := range []string{"imaps", "submissions"} {
		for _, c := range checks {
			if c.Name == "open" && c.Status == Info && strings.HasPrefix(c.Detail, "open") && strings.HasPrefix(c.Group, name+" ") {
				for _, s := range Services {
					if s.Name == name {
						return s, true
					}
				}
			}
		}
	}
	return Service{}, false
}

func banCheck(ctx context.Context, cfg *Config, s Service) Check {
	b := cfg.Ban
	if b.Wait <= 0 {
		b.Wait = 30 * time.Second
	}
	if b.Timeout <= 0 {
		b.Timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	group := fmt.Sprintf("%s %d", s.Name, s.Port)
	check := func(st Status, format string, args ...any) Check {
		return Check{Group: group, Name: "ban", Status: st, Detail: fmt.Sprintf(format, args...)}
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	user := "mailadvisor-probe-" + hex.EncodeToString(id[:])
	if cfg.Domain != "" {
		user += "@" + cfg.Domain
	}
	start := time.Now()
	for i := 0; i < b.Attempts; i++ {
		err := failLogin(ctx, cfg, s, user)
		if errors.Is(err, errLoggedIn) {
			return check(Fail, "a login that nobody has (%s) was accepted", user)
		}
		if err != nil && i > 0 && isBlocked(err) {
			// Banned already, before the last attempt: what fail2ban does
			// with a lower maxretry.
			return check(Pass, "after %d failed logins (%s) in %s, connections from this address are refused: password guessing is banned", i, user, since(start))
		}
		if err != nil {
			return check(Warn, "could not try a login (%d of %d): %v", i+1, b.Attempts, err)
		}
	}
	tried := since(start)
	waitStart := time.Now()
	for {
		err := reach(ctx, cfg, s)
		if err != nil && isBlocked(err) {
			return check(Pass, "after %d failed logins (%s) in %s, connections from this address are refused %s later: password guessing is banned", b.Attempts, user, tried, since(waitStart))
		}
		if time.Since(waitStart) >= b.Wait || ctx.Err() != nil {
			return check(Fail, "after %d failed logins (%s) in %s, %s still answers this address %s later: nothing bans password guessing (fail2ban-client status; unless this address is in its ignoreip)", b.Attempts, user, tried, group, since(waitStart))
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

var errLoggedIn = errors.New("logged in")

// isBlocked reports whether err is what a ban looks like from outside:
// the connection refused (nftables' reject), reset, unreachable, closed
// before the greeting, or never answered (drop).
func isBlocked(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// dialBan connects and runs the opening up to the greeting, within 5 s:
// a ban that drops packets shows as a timeout.
func dialBan(ctx context.Context, cfg *Config, s Service) (*conn, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	nc, err := cfg.Dial(ctx, "tcp", cfg.addr(s))
	if err != nil {
		cancel()
		return nil, nil, err
	}
	dl, _ := ctx.Deadline()
	_ = nc.SetDeadline(dl.Add(20 * time.Second)) // Dovecot delays a failure by up to 15 s
	c := newConn(nc)
	done := func() { _ = nc.Close(); cancel() }
	if err := c.upgrade(ctx, tlsConfig(cfg)); err != nil {
		done()
		return nil, nil, err
	}
	// The greeting: one IMAP line, or an SMTP reply of one or more lines.
	if s.Protocol == "imap" {
		_, err = c.line()
	} else {
		_, _, err = c.smtpReply()
	}
	if err != nil {
		done()
		return nil, nil, err
	}
	return c, done, nil
}

// reach reports whether a new connection gets the service's greeting.
func reach(ctx context.Context, cfg *Config, s Service) error {
	_, done, err := dialBan(ctx, cfg, s)
	if err == nil {
		done()
	}
	return err
}

// failLogin makes one failed login on a connection of its own.
func failLogin(ctx context.Context, cfg *Config, s Service, user string) error {
	c, done, err := dialBan(ctx, cfg, s)
	if err != nil {
		return err
	}
	defer done()
	var pass [12]byte
	_, _ = rand.Read(pass[:])
	password := hex.EncodeToString(pass[:])
	switch s.Protocol {
	case "imap":
		_, err := c.imapCmd("a", fmt.Sprintf("LOGIN %q %q", user, password))
		if err == nil {
			return errLoggedIn
		}
		if !strings.Contains(err.Error(), ": NO") && !strings.Contains(err.Error(), ": BAD") {
			return err
		}
		_ = c.send("b LOGOUT")
	default:
		if _, err := c.smtpCmd("EHLO mailadvisor.invalid", 250); err != nil {
			return err
		}
		code, _, err := sendSMTP(c, "AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password)))
		if err != nil {
			return err
		}
		if code == 235 {
			return errLoggedIn
		}
		_ = c.send("QUIT")
	}
	return nil
}

func sendSMTP(c *conn, cmd string) (int, []string, error) {
	if err := c.send(cmd); err != nil {
		return 0, nil, err
	}
	return c.smtpReply()
}
