package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/serve"
)

// serve on a real PostgreSQL, set up as README says (its schema file):
// the domains of the table served, a bad row left out and said, a change
// served at once through NOTIFY, the last set kept while the database is
// away (and /readyz still ready), and changes followed again once it is
// back.
func TestServeFromPostgres(t *testing.T) {
	pg := integration.StartPostgres(t)
	schema, err := os.ReadFile("../../deploy/postgres/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := func(q string) {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pg.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sql(string(schema))
	sql(`INSERT INTO mailadvisor_domains VALUES ('example.com', 'imap.example.com', NULL, NULL, 'Example'), ('not a domain', NULL, NULL, NULL, NULL)`)

	// A password in the URL (trust authentication ignores it): no
	// message may show it.
	withPassword := strings.Replace(pg.URL, "mailadvisor@", "mailadvisor:Sekrit-pw@", 1)
	srv := startServe(t, &serveOptions{listen: "127.0.0.1:0", domainSource: withPassword, domainNotify: "mailadvisor_domains",
		domainQuery:   "SELECT domain, imap_host, pop3_host, smtp_host, display_name FROM mailadvisor_domains",
		domainRefresh: 300 * time.Millisecond, mtaSTS: serve.MTASTSNone, logFormat: "json", shutdownTimeout: time.Second})
	get, waitFor, logs := srv.get, srv.waitFor, srv.logs
	served := func(domain string) func() bool {
		return func() bool {
			code, _ := get("/mail/config-v1.1.xml?emailaddress=a@" + domain)
			return code == 200
		}
	}
	if code, body := get("/mail/config-v1.1.xml?emailaddress=a@example.com"); code != 200 || !strings.Contains(body, "<hostname>imap.example.com</hostname>") {
		t.Fatalf("example.com from the table: %d\n%s", code, body)
	}
	if !strings.Contains(logs.String(), `warning: --domain-source: row 2 (domain "not a domain")`) {
		t.Errorf("the bad row was not said:\n%s", logs)
	}
	if _, m := get("/metrics"); !strings.Contains(m, "mailadvisor_domains_rejected 1") {
		t.Errorf("metrics: %s", grepLines(m, "mailadvisor_domains"))
	}

	// Through NOTIFY, the new domain served at once.
	sql(`INSERT INTO mailadvisor_domains (domain) VALUES ('example.net')`)
	took := waitFor("the inserted domain", 2*time.Second, served("example.net"))
	t.Logf("an inserted domain served after %v", took.Round(time.Millisecond))

	// The database away: the last set is served, /readyz stays ready,
	// and the metrics say the reloads fail.
	pg.Stop()
	waitFor("the failure metric", 5*time.Second, func() bool {
		_, m := get("/metrics")
		return strings.Contains(m, "mailadvisor_domains_last_reload_success 0")
	})
	if !served("example.net")() || !served("example.com")() {
		t.Error("the last set is not served while the database is away")
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz with the database away: %d, want 200 (stale but valid)", code)
	}
	_, m := get("/metrics")
	if !strings.Contains(m, "mailadvisor_domains_loaded_timestamp_seconds") {
		t.Errorf("no staleness metric: %s", grepLines(m, "mailadvisor_domains"))
	}

	// Back: changes flow again.
	pg.Start()
	sql(`INSERT INTO mailadvisor_domains (domain) VALUES ('example.org')`)
	waitFor("a domain inserted after the database came back", 10*time.Second, served("example.org"))
	srv.stop()
	if strings.Contains(logs.String(), "Sekrit-pw") {
		t.Errorf("a password in the log:\n%s", logs)
	}
}
