package host

import (
	"context"
	"errors"
	"io"
)

// PrecompileOptions configure Precompile.
type PrecompileOptions struct {
	CacheDir string
	Env      []string
	Modules  []string
	BuiltIns map[string][]byte
	Stdout   io.Writer
}

// Precompile fills the compiled-module cache.
func Precompile(ctx context.Context, opts PrecompileOptions) error {
	return errors.New("precompile: not wired yet")
}

// PrintPolicy prints the effective policy for the manifest and exits.
func (rt *Runtime) PrintPolicy(ctx context.Context, w io.Writer) error {
	return errors.New("print-policy: not wired yet")
}
