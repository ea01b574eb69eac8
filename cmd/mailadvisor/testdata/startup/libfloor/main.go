// Command libfloor imports mailadvisor's command-line libraries and does
// nothing else: BenchmarkStartup uses it to show how much of mailadvisor's
// start-up is the libraries' own initialisation.
package main

import (
	"fmt"

	_ "github.com/expr-lang/expr"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "go.yaml.in/yaml/v3"
)

func main() { fmt.Println("hello, world") }
