// Command hello is the baseline of BenchmarkStartup: the cost of starting
// any Go process on this machine.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
