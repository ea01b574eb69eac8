# The project's tasks. `make test` is the README's test command; .ci/run
# runs it after installing what the integration tests need.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: test test-race build lint golden

# The whole suite, then which integration tests ran and which were skipped.
test:
	go test -json ./... | go run ./internal/testsummary

# The suite under the race detector, without the long-running cases.
test-race:
	go test -race -short ./...

# A static release binary: no cgo, so it runs on any Linux (and in a
# scratch container) whatever its C library.
build:
	CGO_ENABLED=0 go build -trimpath -ldflags=-s -o mailadvisor ./cmd/mailadvisor

lint:
	golangci-lint run ./...

# Rewrite the golden files after an intended change of output; review the
# diff before committing it. Every package whose tests take -update is
# found by that flag, so a new one with golden files is covered the day it
# has them.
GOLDEN_PACKAGES = $(sort $(dir $(shell grep -rl --include='*_test.go' 'flag.Bool."update"' .)))

golden:
	go test -short $(GOLDEN_PACKAGES) -update
