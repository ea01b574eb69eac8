package batch

import "time"

var benchStart = time.Now()

func nowSeconds() float64 { return time.Since(benchStart).Seconds() }
