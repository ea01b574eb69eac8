// Command librariesonly imports the libraries mailadvisor depends on for mailadvisor
// and does nothing else: BenchmarkStartup uses it to show how much of
// mailadvisor's start-up is the libraries' own initialisation.
package main

import (
	"fmt"

	_ "github.com/expr-lang/expr"
	_ "github.com/google/uuid"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/smallstep/pkcs7"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/net/idna"
	_ "howett.net/plist"
)

func main() { fmt.Println("hello, world") }
