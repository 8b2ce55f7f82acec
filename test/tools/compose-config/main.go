// compose-config loads Compose files the way `docker compose config` does (compose-go, the loader of Docker
// Compose v2: interpolation, the compose-spec schema, env_file and path resolution) and exits 1 with the loader's
// error when it refuses them. The doctor --fix tests use it to check that a fixed compose file is still one that
// Compose accepts, on machines without the docker compose plugin.
//
//	compose-config -f FILE [-f FILE...] [config] [--quiet]
//
// (the arguments of `docker compose -f FILE config --quiet`, so that either can be run the same way)
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	var files []string
	for i := 1; i < len(os.Args); i++ {
		if os.Args[i] == "-f" && i+1 < len(os.Args) {
			files = append(files, os.Args[i+1])
			i++
			continue
		}
		if os.Args[i] == "config" || os.Args[i] == "--quiet" {
			continue
		}
		fmt.Fprintf(os.Stderr, "compose-config: unexpected argument %q (usage: compose-config -f FILE...)\n", os.Args[i])
		os.Exit(2)
	}
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "compose-config: no file (usage: compose-config -f FILE...)")
		os.Exit(2)
	}

	opts, err := cli.NewProjectOptions(files, cli.WithOsEnv, cli.WithDotEnv, cli.WithWorkingDirectory("."))
	if err == nil {
		_, err = opts.LoadProject(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
