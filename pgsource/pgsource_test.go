package pgsource

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// schema is the table and trigger README points operators to.
func schema(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../deploy/postgres/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func exec(t *testing.T, url string, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestSource(t *testing.T) {
	pg := integration.StartPostgres(t)
	exec(t, pg.URL, schema(t))
	exec(t, pg.URL, `INSERT INTO mailadvisor_domains VALUES
		('example.com', 'imap.example.com', NULL, 'smtp.example.com', 'Example'),
		('Bücher.example', NULL, NULL, NULL, ''),
		('bad domain', NULL, NULL, NULL, NULL),
		('example.org', 'imap host', NULL, NULL, NULL)`)
	ctx := context.Background()
	src, err := New(Config{URL: pg.URL})
	if err != nil {
		t.Fatal(err)
	}
	domains, rejected, err := src.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The good rows served, the bad ones reported with their row.
	if len(domains) != 2 || domains[0].Domains[0] != "example.com" || domains[0].Hosts.IMAP != "imap.example.com" ||
		domains[0].Hosts.POP3 != "mail.example.com" || domains[0].DisplayName != "Example" ||
		domains[1].Domains[0] != "xn--bcher-kva.example" {
		t.Errorf("domains: %+v", domains)
	}
	if len(rejected) != 2 || rejected[0].Domain != "bad domain" || !strings.Contains(rejected[1].Error(), `row 4 (domain "example.org"): hosts.imap`) {
		t.Errorf("rejected: %v", rejected)
	}

	// A query with a column of another name is refused whole, naming it.
	bad, _ := New(Config{URL: pg.URL, Query: "SELECT domain, imap_host AS imap FROM mailadvisor_domains"})
	var field *profiles.FieldError
	if _, _, err := bad.Load(ctx); !errors.As(err, &field) || field.Value != "column imap" {
		t.Errorf("unknown column: %v", err)
	}
	// Any column of the list, of any type: services as text[].
	arr, _ := New(Config{URL: pg.URL, Query: "SELECT 'example.net' AS domain, ARRAY['imap','smtp'] AS services, 7 AS leave_on_server_days"})
	if d, _, err := arr.Load(ctx); err != nil || len(d) != 1 || strings.Join(d[0].Services, ",") != "imap,smtp" || *d[0].LeaveOnServerDays != 7 {
		t.Errorf("services array: %v %+v", err, d)
	}

	// A change is a notification; so is coming back after the database
	// was away.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changed := make(chan struct{}, 10)
	failed := make(chan error, 10)
	go src.Listen(lctx, func() { changed <- struct{}{} }, func(err error) { failed <- err })
	time.Sleep(300 * time.Millisecond) // LISTEN under way
	exec(t, pg.URL, `INSERT INTO mailadvisor_domains VALUES ('example.net', NULL, NULL, NULL, NULL)`)
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification for an insert")
	}
	pg.Stop()
	if _, _, err := src.Load(ctx); err == nil || strings.Contains(err.Error(), "password") {
		t.Errorf("load with the database stopped: %v", err)
	}
	select {
	case err := <-failed:
		t.Logf("listening, database stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not notice the database going")
	}
	pg.Start()
	select {
	case <-changed:
	case <-time.After(20 * time.Second):
		t.Fatal("no reload after the database came back")
	}
	if d, _, err := src.Load(ctx); err != nil || len(d) != 3 {
		t.Errorf("after restart: %v, %d domains", err, len(d))
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"", "mysql://db/x", "postgres://", "example.com", "postgres://u:secret@db/x?sslmode=bogus"} {
		_, err := CheckURL(u)
		if err == nil {
			t.Errorf("%q accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the password is in the error: %v", u, err)
		}
	}
	if r, err := CheckURL("postgres://u:secret@db.internal:5432/panel?sslmode=verify-full"); err != nil || strings.Contains(r, "secret") {
		t.Errorf("good URL: %q %v", r, err)
	}
}
