package main

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/profiles"
	"github.com/mailadvisor/mailadvisor/serve"
)

// The container and the Kubernetes manifests start the command the way
// this code parses it, probe paths it answers, and hang together (no
// Docker engine or cluster here: these are the checks that need none).
func TestDeployFilesMatchTheCommand(t *testing.T) {
	root := filepath.Join("..", "..")
	docker, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER nonroot", "distroless/static"} {
		if !strings.Contains(string(docker), want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	entry := regexp.MustCompile(`(?m)^ENTRYPOINT (\[.*\])$`).FindSubmatch(docker)
	if entry == nil {
		t.Fatal("no ENTRYPOINT in exec form")
	}
	var entryArgs []string
	if err := json.Unmarshal(entry[1], &entryArgs); err != nil {
		t.Fatal(err)
	}
	checkServeArgs(t, "Dockerfile", entryArgs[1:])

	docs := map[string]map[string]any{}
	files, _ := filepath.Glob(filepath.Join(root, "deploy", "kubernetes", "*.yaml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		docs[doc["kind"].(string)] = doc
	}
	for _, kind := range []string{"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"} {
		if docs[kind] == nil {
			t.Fatalf("no %s in deploy/kubernetes", kind)
		}
	}
	dig := func(v any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				v = v.(map[string]any)[k]
			case int:
				v = v.([]any)[k]
			}
		}
		return v
	}
	dep := docs["Deployment"]
	container := dig(dep, "spec", "template", "spec", "containers", 0)
	var args []string
	for _, a := range dig(container, "args").([]any) {
		args = append(args, a.(string))
	}
	checkServeArgs(t, "deployment.yaml", args)
	// A soft heap limit under the hard one, as the Dockerfile sets it.
	limit := parseMiB(t, dig(container, "resources", "limits", "memory").(string))
	var gomemlimit string
	for _, e := range dig(container, "env").([]any) {
		if e.(map[string]any)["name"] == "GOMEMLIMIT" {
			gomemlimit = e.(map[string]any)["value"].(string)
		}
	}
	if soft := parseMiB(t, gomemlimit); soft <= 0 || soft > limit*9/10 {
		t.Errorf("GOMEMLIMIT %q: want under nine tenths of the %d MiB limit", gomemlimit, limit)
	}
	if !strings.Contains(string(docker), "ENV GOMEMLIMIT=") {
		t.Error("the Dockerfile sets no GOMEMLIMIT")
	}
	if !strings.Contains(strings.Join(args, " "), "--metrics-listen :"+strconv.Itoa(dig(container, "ports", 1, "containerPort").(int))) {
		t.Errorf("the metrics port is not the one --metrics-listen names: %v", args)
	}
	port := dig(container, "ports", 0, "containerPort").(int)
	if !strings.Contains(strings.Join(args, " "), ":"+strconv.Itoa(port)) {
		t.Errorf("the container port %d is not the one --listen names: %v", port, args)
	}
	// The probes' paths answer 200 on a server with a domain.
	d := &profiles.Domain{Domains: []string{"example.com"}}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(serve.Config{Domains: []*profiles.Domain{d}})
	if err != nil {
		t.Fatal(err)
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		path := dig(container, probe, "httpGet", "path").(string)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 200 {
			t.Errorf("%s %s: %d", probe, path, w.Code)
		}
	}
	if dig(docs["HorizontalPodAutoscaler"], "spec", "scaleTargetRef", "name") != dig(dep, "metadata", "name") {
		t.Error("the autoscaler does not target the Deployment")
	}
	if dig(docs["Service"], "spec", "selector", "app") != dig(dep, "spec", "template", "metadata", "labels", "app") {
		t.Error("the Service does not select the Deployment's pods")
	}
	mount := dig(container, "volumeMounts", 0, "mountPath").(string)
	if !strings.Contains(strings.Join(args, " "), "--domain-dir "+mount) {
		t.Errorf("--domain-dir is not the ConfigMap's mount %s", mount)
	}
	// The ConfigMap's domain files are valid.
	for name, content := range dig(docs["ConfigMap"], "data").(map[string]any) {
		if _, err := profiles.DecodeDomain(strings.NewReader(content.(string)), name); err != nil {
			t.Errorf("ConfigMap %s: %v", name, err)
		}
	}
}

// checkServeArgs parses args as the serve command's flags.
func checkServeArgs(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("%s: %v does not run serve", where, args)
	}
	cmd := newServeCmd(streams{out: io.Discard, err: io.Discard})
	if err := cmd.ParseFlags(args[1:]); err != nil {
		t.Errorf("%s: %v", where, err)
	}
}

// parseMiB reads a memory size as Kubernetes (64Mi) or Go (48MiB) writes it.
func parseMiB(t *testing.T, v string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(v, "MiB"), "Mi"))
	if err != nil {
		t.Fatalf("memory size %q: want NMi or NMiB", v)
	}
	return n
}
