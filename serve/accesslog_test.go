package serve

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// slogLine is what log/slog's own handler writes for e.
func slogLine(t testing.TB, format string, now time.Time, e *entry) string {
	var b bytes.Buffer
	var h slog.Handler = slog.NewTextHandler(&b, nil)
	if format == LogJSON {
		h = slog.NewJSONHandler(&b, nil)
	}
	r := slog.NewRecord(now, slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("method", e.method), slog.String("path", e.path), slog.String("endpoint", e.endpoint),
		slog.String("domain", e.domain), slog.Int("status", e.status), slog.Int64("bytes", e.bytes),
		slog.Duration("duration", e.duration), slog.String("user_agent", e.userAgent))
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func checkAccessLine(t *testing.T, now time.Time, e *entry) {
	t.Helper()
	for _, format := range []string{LogText, LogJSON} {
		var b bytes.Buffer
		l, err := NewAccessLog(&b, format)
		if err != nil {
			t.Fatal(err)
		}
		l.log(now, e)
		if want := slogLine(t, format, now, e); b.String() != want {
			t.Errorf("%s line:\n%s\nslog's:\n%s", format, b.String(), want)
		}
	}
}

// The access log's lines are byte for byte those of slog's handlers, which
// it replaced (log readers parse them): every byte class that quoting or
// escaping treats apart, and times in other zones and at whole seconds.
func TestAccessLogIsSlogs(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	times := []time.Time{time.Date(2026, 12, 7, 12, 3, 9, 123456789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, paris),
		time.Date(2026, 6, 1, 0, 0, 0, 999999999, time.FixedZone("", -5*3600))}
	values := []string{"", "plain", "with space", "a=b", `q"uote`, `back\slash`, "tab\tnl\ncr\r", "\x00\x1f\x7f",
		"ünïcödé", "\u2028\u2029", "\xff\xfe", "non\u00a0breaking", "\u200bzero", "Mozilla/5.0 (X11; Linux x86_64)", "<&>"}
	for _, now := range times {
		for _, v := range values {
			checkAccessLine(t, now, &entry{method: "GET", path: v, endpoint: "autoconfig", domain: "example.com",
				status: 200, bytes: 1234, duration: 1234567 * time.Nanosecond, userAgent: v})
		}
	}
	checkAccessLine(t, times[0], &entry{method: "POST", path: "/", status: 500, duration: 3 * time.Second})
}

func FuzzAccessLog(f *testing.F) {
	f.Add("/mail/config-v1.1.xml", "curl/8.5.0", int64(1234), int64(99))
	f.Fuzz(func(t *testing.T, path, agent string, n, d int64) {
		checkAccessLine(t, time.Unix(0, d*1e6+n).UTC(), &entry{method: "GET", path: path, endpoint: "x", domain: agent,
			status: int(n % 600), bytes: n, duration: time.Duration(d), userAgent: agent})
	})
}

// The access log allocates nothing per line.
func TestAccessLogAllocatesNothing(t *testing.T) {
	l, err := NewAccessLog(discard{}, LogJSON)
	if err != nil {
		t.Fatal(err)
	}
	e := &entry{method: "GET", path: "/mail/config-v1.1.xml", endpoint: "autoconfig", domain: "example.com",
		status: 200, bytes: 1234, duration: time.Millisecond, userAgent: "Thunderbird/128.0"}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { l.log(now, e) }); n != 0 {
		t.Errorf("%v allocations per line, want 0", n)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkAccessLogLine: one line through slog's JSON handler, as the
// log was written before, and through AccessLog.
func BenchmarkAccessLogLine(b *testing.B) {
	e := &entry{method: "GET", path: "/mail/config-v1.1.xml", endpoint: "autoconfig", domain: "example.com",
		status: 200, bytes: 1234, duration: 1234567, userAgent: "Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0"}
	b.Run("slog", func(b *testing.B) {
		l := slog.New(slog.NewJSONHandler(discard{}, nil))
		b.ReportAllocs()
		for b.Loop() {
			l.LogAttrs(context.Background(), slog.LevelInfo, "request",
				slog.String("method", e.method), slog.String("path", e.path), slog.String("endpoint", e.endpoint),
				slog.String("domain", e.domain), slog.Int("status", e.status), slog.Int64("bytes", e.bytes),
				slog.Duration("duration", e.duration), slog.String("user_agent", e.userAgent))
		}
	})
	b.Run("accesslog", func(b *testing.B) {
		l, _ := NewAccessLog(discard{}, LogJSON)
		b.ReportAllocs()
		for b.Loop() {
			l.log(time.Now(), e)
		}
	})
}
