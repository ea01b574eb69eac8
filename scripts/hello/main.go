// Command hello is the load test's floor: a Go HTTP server that answers
// every request with the same 1.5 KB, doing nothing else. What it cannot
// beat on a machine, `mailadvisor serve` cannot either; scripts/loadtest.sh
// runs it alternately with serve.
package main

import (
	"bytes"
	"log"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: hello HOST:PORT")
	}
	body := bytes.Repeat([]byte("x"), 1500)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(os.Args[1], h)) //nolint:gosec // a benchmark's peer on loopback
}
