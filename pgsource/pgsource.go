// Package pgsource reads the domains `serve` answers for from PostgreSQL,
// the database a hosting panel and Postfix already share, and follows its
// changes with LISTEN/NOTIFY.
//
// The query returns one row per domain name. Its columns are named after
// the domain file's keys; only domain is required:
//
//	domain              the domain name (required)
//	imap_host           hosts.imap (default mail.DOMAIN)
//	pop3_host           hosts.pop3
//	smtp_host           hosts.smtp
//	display_name        display_name
//	short_name          short_name
//	services            services: "imap,pop3,smtp" or a text[] array
//	username            address or localpart
//	authentication      password, password-encrypted
//	documentation_url   documentation_url
//	leave_on_server_days  leave_on_server_days
//
// A NULL or empty value is the domain file's default. A column of another
// name makes the whole load fail (a mistake in the query); a row whose
// values are wrong is left out and reported, and the other rows are
// served.
package pgsource

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mailadvisor/mailadvisor/profiles"
)

// DefaultQuery reads the documented table:
//
//	CREATE TABLE mailadvisor_domains (
//	    domain       text PRIMARY KEY,
//	    imap_host    text,
//	    pop3_host    text,
//	    smtp_host    text,
//	    display_name text
//	);
const DefaultQuery = "SELECT domain, imap_host, pop3_host, smtp_host, display_name FROM mailadvisor_domains"

// DefaultChannel is the LISTEN channel: a trigger on the table (README)
// runs NOTIFY mailadvisor_domains on every change.
const DefaultChannel = "mailadvisor_domains"

// columns are the names a query may return, each setting one field.
var columns = map[string]func(d *profiles.Domain, v string) error{
	"domain":            func(d *profiles.Domain, v string) error { d.Domains = []string{v}; return nil },
	"imap_host":         func(d *profiles.Domain, v string) error { d.Hosts.IMAP = v; return nil },
	"pop3_host":         func(d *profiles.Domain, v string) error { d.Hosts.POP3 = v; return nil },
	"smtp_host":         func(d *profiles.Domain, v string) error { d.Hosts.SMTP = v; return nil },
	"display_name":      func(d *profiles.Domain, v string) error { d.DisplayName = v; return nil },
	"short_name":        func(d *profiles.Domain, v string) error { d.ShortName = v; return nil },
	"username":          func(d *profiles.Domain, v string) error { d.Username = v; return nil },
	"authentication":    func(d *profiles.Domain, v string) error { d.Authentication = v; return nil },
	"documentation_url": func(d *profiles.Domain, v string) error { d.DocumentationURL = v; return nil },
	"services": func(d *profiles.Domain, v string) error {
		// text[] comes as {imap,smtp} in the text format.
		v = strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}")
		d.Services = strings.Split(v, ",")
		return nil
	},
	"leave_on_server_days": func(d *profiles.Domain, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &profiles.FieldError{Field: "leave_on_server_days", Value: v, Allowed: "a whole number of days, 0 or more"}
		}
		d.LeaveOnServerDays = &n
		return nil
	},
}

// Columns lists the column names a query may return.
func Columns() []string {
	return slices.Sorted(maps.Keys(columns))
}

// Source is a database the domains are read from.
type Source struct {
	conn    *pgx.ConnConfig
	query   string
	channel string
	// Redacted is the URL without its password, for messages.
	Redacted string
}

// Config says where the domains are and how they are read.
type Config struct {
	// URL is a postgres:// or postgresql:// URL (libpq's keywords in its
	// query; the password may come from PGPASSWORD or ~/.pgpass instead).
	URL string
	// Query returns the domains (DefaultQuery if "").
	Query string
	// Channel is listened on for changes (DefaultChannel if "").
	Channel string
}

// New checks cfg; it does not connect.
func New(cfg Config) (*Source, error) {
	conn, redacted, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	// The simple protocol: every value comes as text, whatever its type.
	conn.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if conn.ConnectTimeout == 0 {
		conn.ConnectTimeout = 10 * time.Second
	}
	if conn.RuntimeParams["application_name"] == "" {
		conn.RuntimeParams["application_name"] = "mailadvisor serve"
	}
	s := &Source{conn: conn, query: cfg.Query, channel: cfg.Channel, Redacted: redacted}
	if s.query == "" {
		s.query = DefaultQuery
	}
	if s.channel == "" {
		s.channel = DefaultChannel
	}
	return s, nil
}

// CheckURL checks that u is a PostgreSQL URL and returns it without its
// password, for messages.
func CheckURL(u string) (string, error) {
	_, redacted, err := parseURL(u)
	return redacted, err
}

// parseURL reads u as CheckURL checks it, into pgx's configuration.
func parseURL(u string) (*pgx.ConnConfig, string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") || parsed.Host == "" && parsed.Query().Get("host") == "" {
		shown := "(not a URL)"
		if err == nil {
			shown = parsed.Redacted()
		}
		return nil, "", &profiles.FieldError{Field: "domain-source", Value: shown,
			Allowed: "postgres://USER@HOST[:PORT]/DATABASE (the password from PGPASSWORD or ~/.pgpass rather than the URL)"}
	}
	conn, err := pgx.ParseConfig(u)
	if err != nil {
		return nil, "", &profiles.FieldError{Field: "domain-source", Value: parsed.Redacted(), Allowed: "a PostgreSQL URL: " + plainError(err)}
	}
	return conn, parsed.Redacted(), nil
}

// plainError is a pgx parse error without the connection string it
// quotes (which may hold a password).
func plainError(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return "it does not parse"
}

// RowError is a row left out of a load.
type RowError struct {
	Row    int    // 1 for the first row
	Domain string // as the row gave it
	Err    error
}

func (e *RowError) Error() string {
	if e.Row == 0 {
		return fmt.Sprintf("domain %q: %v", e.Domain, e.Err)
	}
	return fmt.Sprintf("row %d (domain %q): %v", e.Row, e.Domain, e.Err)
}

// Load reads every domain. Rows that are wrong are left out and returned
// as *RowError values; err is for the load as a whole (no connection, a
// query that fails, a column of unknown name, no row at all).
func (s *Source) Load(ctx context.Context) (domains []*profiles.Domain, rejected []*RowError, err error) {
	conn, err := pgx.ConnectConfig(ctx, s.conn)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.Redacted, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, s.query)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: the domain query: %w", s.Redacted, err)
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	set := make([]func(*profiles.Domain, string) error, len(fields))
	domainCol := -1
	for i, f := range fields {
		fn, ok := columns[f.Name]
		if !ok {
			return nil, nil, &profiles.FieldError{Field: "domain-query", Value: "column " + f.Name, Allowed: "columns named " + strings.Join(Columns(), ", ")}
		}
		set[i] = fn
		if f.Name == "domain" {
			domainCol = i
		}
	}
	if domainCol < 0 {
		return nil, nil, &profiles.FieldError{Field: "domain-query", Value: "no domain column", Allowed: "a query that returns a column named domain"}
	}
	seen := map[string]int{}
	n := 0
	for rows.Next() {
		n++
		raw := rows.RawValues()
		d := &profiles.Domain{}
		var rowErr error
		for i, v := range raw {
			if len(v) == 0 {
				continue // NULL or empty: the default
			}
			if err := set[i](d, string(v)); err != nil {
				rowErr = err
				break
			}
		}
		name := string(raw[domainCol])
		if rowErr == nil {
			rowErr = d.Normalize()
		}
		if rowErr == nil {
			if first, dup := seen[d.Domains[0]]; dup {
				rowErr = fmt.Errorf("%s is also row %d: want each domain once", d.Domains[0], first)
			} else {
				seen[d.Domains[0]] = n
			}
		}
		if rowErr != nil {
			rejected = append(rejected, &RowError{Row: n, Domain: name, Err: rowErr})
			continue
		}
		domains = append(domains, d)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: the domain query: %w", s.Redacted, err)
	}
	if len(domains) == 0 {
		if n == 0 {
			return nil, nil, fmt.Errorf("%s: the domain query returned no row", s.Redacted)
		}
		return nil, rejected, fmt.Errorf("%s: all %d rows were rejected", s.Redacted, n)
	}
	return domains, rejected, nil
}

// Listen calls changed each time the database sends a notification on
// the source's channel, and once after each reconnection (a change may
// have been missed while it was away). It reconnects after an error,
// waiting from 1 s up to a minute, reports each error to failed, and
// returns when ctx ends.
func (s *Source) Listen(ctx context.Context, changed func(), failed func(error)) {
	wait := time.Second
	first := true
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, func() {
			wait = time.Second
			if !first {
				changed()
			}
			first = false
		}, changed)
		if ctx.Err() != nil {
			return
		}
		failed(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

func (s *Source) listenOnce(ctx context.Context, connected, changed func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.conn)
	if err != nil {
		return fmt.Errorf("%s: listening: %w", s.Redacted, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return fmt.Errorf("%s: LISTEN %s: %w", s.Redacted, s.channel, err)
	}
	connected()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("%s: listening: %w", s.Redacted, err)
		}
		changed()
	}
}
