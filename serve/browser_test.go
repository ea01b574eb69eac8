package serve

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

// The page in a real browser, as a person uses it: headless Chromium
// (Debian's chromium) with JavaScript turned off, which the page does not
// need, fills the form, submits it, reads the advice and the settings,
// downloads the Apple profile, and takes screenshots.
func TestPageInBrowser(t *testing.T) {
	chromium := integration.RequireProgram(t, "chromium")
	srv := httptest.NewServer(newTestServer(t, Config{}))
	defer srv.Close()
	downloads := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // root in CI
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915), // a phone
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	scripts := func(on bool) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}
	// The first call starts the browser.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	if err := scripts(false); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?lang=fr"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		t.Fatalf("loading the form: %v", err)
	}
	formShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	// Two checks need a script of the test's own, run for a moment.
	if err := scripts(true); err != nil {
		t.Fatal(err)
	}
	unlabelled, err1 := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('input:not([type=hidden]), select')].filter(e => e.labels.length === 0).length`))
	external, err2 := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType('resource').filter(e => !e.name.startsWith(location.origin)).length`))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if err := scripts(false); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("email"), "erin@example.com"),
		chromedp.SetValue(chromedp.ID("devices"), "3"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("answer")),
	)
	if err != nil {
		t.Fatalf("submitting the form: %v", err)
	}
	answer, err1 := chromedp.Run(ctx, chromedp.Text(chromedp.ID("answer")))
	reasons, err2 := chromedp.Run(ctx, chromedp.Text(chromedp.ID("reasons")))
	settings, err3 := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("section[aria-labelledby=settings]")))
	answerShot, err4 := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	if unlabelled != 0 || external != 0 {
		t.Errorf("%d fields without a label, %d resources from elsewhere", unlabelled, external)
	}
	if !strings.Contains(answer, "Utilisez IMAP.") || !strings.Contains(reasons, "3 appareils") {
		t.Errorf("advice %q, reasons %q", answer, reasons)
	}
	for _, want := range []string{"imap.example.com", "993", "smtp.example.com", "465", "erin@example.com"} {
		if !strings.Contains(settings, want) {
			t.Errorf("settings lack %s: %q", want, settings)
		}
	}
	// The download: the profile for that address.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("apple"))); err != nil {
		t.Fatalf("download: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var profile []byte
	for time.Now().Before(deadline) && profile == nil {
		matches, _ := filepath.Glob(filepath.Join(downloads, "*.mobileconfig"))
		if len(matches) > 0 {
			profile, _ = os.ReadFile(matches[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(string(profile), "<string>erin@example.com</string>") {
		t.Errorf("downloaded profile: %q", profile)
	}
	// On a 390 px phone, in both languages, the answer fits the screen:
	// no sideways scrolling, and host names break only between labels.
	shots := map[string][]byte{"serve-page-form-fr.png": formShot, "serve-page-answer-fr.png": answerShot}
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 3, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "en"} {
		err := chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/?lang="+lang), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), "jean-baptiste.delacroix-montgolfier@example.com"),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("answer")),
		)
		if err != nil {
			t.Fatalf("%s at 390 px: %v", lang, err)
		}
		if err := scripts(true); err != nil {
			t.Fatal(err)
		}
		overflow, err1 := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		// A cell whose text is wider than the cell: a word cut or hidden.
		cut, err2 := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('td')].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)`))
		width, err3 := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`))
		shot, err4 := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err := errors.Join(err1, err2, err3, err4, scripts(false)); err != nil {
			t.Fatal(err)
		}
		// A phone widens its layout to the content: wider than 390 is
		// the page overflowing too.
		if width > 390 {
			overflow = max(overflow, width-390)
		}
		if overflow > 0 || len(cut) > 0 {
			t.Errorf("%s at 390 px: the page is %d px too wide; cells that overflow: %q", lang, overflow, cut)
		}
		shots["serve-page-answer-390px-"+lang+".png"] = shot
	}
	dir := integration.ArtifactDir(t)
	for name, shot := range shots {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}
