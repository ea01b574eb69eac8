// Package dirwatch tells when the files of some directories change, once
// the changes have settled: what serve needs to follow a --domain-dir or
// a certificate that is replaced in place, by an editor, by certbot, or by
// the kubelet's atomic swap of a mounted ConfigMap or Secret (a new dated
// directory, then the ..data link renamed over the old one).
package dirwatch

import (
	"context"
	"fmt"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch calls changed each time something in dirs changed and then nothing
// more for settle, until ctx ends. It returns an error only when the
// directories cannot be watched; a watch error later is given to failed
// and the watch goes on.
func Watch(ctx context.Context, dirs []string, settle time.Duration, changed func(), failed func(error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %v: %w", dirs, err)
	}
	for _, d := range dirs {
		if err := w.Add(d); err != nil {
			w.Close()
			return fmt.Errorf("watching %s: %w", d, err)
		}
	}
	go func() {
		defer w.Close()
		timer := time.NewTimer(settle)
		timer.Stop()
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
				// Every event restarts the wait: a swap is several.
				timer.Reset(settle)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				if failed != nil {
					failed(err)
				}
			case <-timer.C:
				changed()
			}
		}
	}()
	return nil
}
