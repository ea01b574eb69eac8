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
# diff before committing it.
golden:
	go test ./cmd/mailadvisor -run TestScripts -update
	go test ./profiles -run TestGolden -update
	go test ./templates -run TestGolden -update
	go test ./report -run TestGolden -update
