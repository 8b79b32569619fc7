package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mixbox/mixbox/host/internal/mask"
)

// Runtime runs bundle actions. It keeps compiled wasm modules for the life
// of the process; Close releases them.
type Runtime struct {
	opts   Options
	paths  paths
	logger *slog.Logger
	wasm   *wasmHost
	set    *mask.Set // the sensitive values of the current run
	cur    runState  // the exec recorder or replayer of the current run

	cacheOnce sync.Once
	cache     string // the compiled-module cache dir, once known
}

// maskString masks the sensitive values of the current run in s.
func (rt *Runtime) maskString(s string) string {
	if rt.set == nil {
		return s
	}
	return rt.set.String(s)
}

// New returns a Runtime for opts. It fails with ErrUsage for option values it
// cannot use.
func New(opts Options) (*Runtime, error) {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{opts: opts, paths: newPaths(opts.Root), logger: logger}
	if opts.Root != "" {
		fi, err := os.Stat(opts.Root)
		if err != nil {
			return nil, withHint(fmt.Errorf("%w: --cnab-root %s: %w", ErrUsage, opts.Root, err),
				"make the directory and put the bundle at DIR/cnab/app")
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%w: --cnab-root %s is not a directory", ErrUsage, opts.Root)
		}
	}
	rt.wasm = newWasmHost(rt)
	return rt, nil
}

// Close releases the compiled modules.
func (rt *Runtime) Close(ctx context.Context) error {
	return rt.wasm.close(ctx)
}

// Report describes a finished run.
type Report struct {
	// Steps is the number of steps of the action; Ran how many ran.
	Steps, Ran int
	// Outputs are the outputs of every step that ran, by name.
	Outputs map[string][]byte
	// Duration is the run's wall time.
	Duration time.Duration
}

// manifestPath finds the manifest: an absolute CNAB path is taken under the
// root; a relative one from the working directory, else the bundle directory.
func (rt *Runtime) manifestPath() string {
	name := rt.opts.ManifestPath
	if name == "" {
		name = "porter.yaml"
	}
	if filepath.IsAbs(name) {
		if cnabPath(name) {
			return rt.paths.real(name)
		}
		return name
	}
	if _, err := os.Stat(name); err == nil || !rt.paths.isRooted() {
		return name
	}
	return filepath.Join(rt.paths.bundleDir(), name)
}

func lookup(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// envMap turns NAME=VALUE entries into a map, later entries winning.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// maskErr returns err with its text masked by set, keeping the chain.
func maskErr(set *mask.Set, err error) error {
	if err == nil {
		return nil
	}
	text := set.String(err.Error())
	if text == err.Error() {
		return err
	}
	return &maskedError{text: text, err: err}
}

var _ = errors.Is
