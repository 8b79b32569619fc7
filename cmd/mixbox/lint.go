package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/mixins/exec"
)

func lintCommand(env []string, stdout, stderr io.Writer) *cli.Command {
	return reviewCommand("lint", "check a bundle for what would fail or silently differ when it runs; exit 1 on an error", env,
		func(c *cli.Context, rt *host.Runtime, r review) error {
			found, err := rt.Lint(c.Context, host.LintOptions{
				ManifestPath: r.file,
				MixinsDir:    r.mixinsDir,
				Prefer:       r.prefer,
				Schemas:      map[string]string{"exec": exec.Schema()},
				Linters:      map[string]func([]byte) ([]byte, error){"exec": execLint},
			})
			if err != nil {
				return err
			}
			if err := found.Write(stdout, r.format); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(stderr, "%s: %s\n", r.file, found.Summary()) // stdout holds the findings alone
			if found.HasError() {
				return exitError{code: exitFailure}
			}
			return nil
		})
}

// execLint is the built-in exec mixin's own lint (`exec-runtime lint`).
func execLint(input []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := exec.PrintLint(&out, input); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
