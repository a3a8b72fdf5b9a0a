// Command playhead is self-hosted session replay in one binary.
package main

import (
	"os"

	"github.com/playhead/playhead/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
