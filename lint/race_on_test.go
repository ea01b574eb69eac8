//go:build race

package lint

// raceEnabled: the race detector multiplies what a test allocates, so
// memory budgets are checked without it.
const raceEnabled = true
