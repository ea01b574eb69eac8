// Package testmem measures memory for tests that bound what hostile
// input may cost: from the process's own counters, never the clock.
package testmem

import "runtime"

// Allocated runs f and returns the bytes the process allocated meanwhile
// (every goroutine's: a stand-in server's included).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
