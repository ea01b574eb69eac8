package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Postgres is a PostgreSQL cluster of the test's own: initdb in a
// temporary directory, listening on a loopback port only, with trust
// authentication for the user "mailadvisor". Stop and Start let a test
// take the database away and bring it back.
type Postgres struct {
	t    testing.TB
	bin  string
	data string
	port int
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan struct{}
	// URL reaches the database "postgres" as the user "mailadvisor".
	URL string
}

// StartPostgres makes and starts a cluster, or skips the test when
// Debian's postgresql is missing (fails it when Enabled). As root it runs
// as the user postgres, since PostgreSQL refuses to run as root.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		Missing(t, "PostgreSQL (initdb, postgres: Debian's postgresql) is missing")
	}
	Uses(t, filepath.Join(bin, "postgres"))
	dir, err := os.MkdirTemp("", "mailadvisor-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &Postgres{t: t, bin: bin, data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Missing(t, "running PostgreSQL as root needs the user postgres (Debian's postgresql makes it)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p.data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p.data, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := p.command("initdb", "--auth=trust", "--username=mailadvisor", "--encoding=UTF8", "--locale=C", "--no-sync", "-D", p.data)
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	p.URL = fmt.Sprintf("postgres://mailadvisor@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// postgresBin is the directory of Debian's newest PostgreSQL programs,
// or of those in PATH.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if path, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(path)
	}
	return ""
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = filepath.Dir(p.data)
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// Start starts the server and waits until it takes connections.
func (p *Postgres) Start() {
	p.t.Helper()
	p.cmd = p.command("postgres", "-D", p.data, "-k", p.data, "-p", strconv.Itoa(p.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	log, err := os.Create(filepath.Join(filepath.Dir(p.data), "postgres.log"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer log.Close()
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("postgres: %v", err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(p.cmd, p.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := p.command("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port)).CombinedOutput()
		if err == nil {
			return
		}
		select {
		case <-p.done:
			logged, _ := os.ReadFile(log.Name())
			p.t.Fatalf("postgres stopped at start:\n%s", logged)
		default:
		}
		if time.Now().After(deadline) {
			logged, _ := os.ReadFile(log.Name())
			p.t.Fatalf("postgres not ready after 30 s: %s\n%s", out, logged)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (a fast shutdown: the clients are disconnected)
// and waits for it to end.
func (p *Postgres) Stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}
