package review

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/run"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

// Options say which bundle to read and where its mixins are.
type Options struct {
	// ManifestPath is the manifest; "" is porter.yaml in the working
	// directory. Its directory is the bundle directory.
	ManifestPath string
	// MixinsDir is where installed mixins are; "" is <bundle>/mixins.
	MixinsDir string
	// BuiltIns are the wasm mixins embedded in the binary, by name.
	BuiltIns map[string][]byte
	// PreferNative puts a mixin's native runtime before its wasm builds.
	PreferNative bool
	// Version is mixbox's version, quoted when a module is refused.
	Version string
	// Schemas are the JSON schemas of mixins' parts of porter.yaml (what
	// Porter's `NAME schema` prints), by mixin name. Lint only.
	Schemas map[string]string
	// Linters are mixins' own linters, by mixin name. Lint only.
	Linters map[string]Linter
}

// Linter is a mixin's own lint, Porter's protocol: input is
// {actions: {ACTION: [steps of the mixin]}} as YAML, the result a JSON list
// of Porter's linter results.
type Linter func(input []byte) ([]byte, error)

// bundle is the manifest being read, with where it is.
type bundle struct {
	file string // the manifest's path as given
	dir  string // the bundle directory
	m    *manifest.Manifest
}

func (o Options) manifestPath() string {
	if o.ManifestPath == "" {
		return "porter.yaml"
	}
	return o.ManifestPath
}

// load reads the manifest, keeping steps whose mixin is not declared. A
// manifest that does not parse is an error matching
// manifest.ErrInvalidManifest; one that cannot be read matches
// errkind.ErrManifest alone.
func (o Options) load() (*bundle, error) {
	file := o.manifestPath()
	m, err := manifest.LoadWith(file, manifest.Options{UndeclaredMixins: true})
	if errors.Is(err, manifest.ErrInvalidManifest) {
		return nil, errkind.WithHint(errkind.Of(errkind.ErrManifest, err), "fix the manifest; `mixbox lint` names the line")
	}
	if err != nil {
		return nil, errkind.WithHint(fmt.Errorf("%w: %w", errkind.ErrManifest, err),
			"name the manifest, or run from the bundle directory")
	}
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("find the bundle directory: %w", err)
	}
	return &bundle{file: file, dir: dir, m: m}, nil
}

// onDisk returns where the bundle path p is: a relative p is taken from the
// bundle directory, /cnab/app/... in it; "" for any other absolute path.
func (b *bundle) onDisk(p string) string {
	if !filepath.IsAbs(p) {
		return filepath.Join(b.dir, p)
	}
	rel, ok := strings.CutPrefix(filepath.Clean(p), "/cnab/app")
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		return ""
	}
	return filepath.Join(b.dir, rel)
}

// shown returns the file p (under the bundle directory) as the user named
// the bundle: relative to the manifest's directory as given.
func (b *bundle) shown(p string) string {
	rel, err := filepath.Rel(b.dir, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return p
	}
	return filepath.Join(filepath.Dir(b.file), rel)
}

// resolved is where one mixin resolves here.
type resolved struct {
	loc run.Location
	err error // not installed, not executable, unreadable
	// info describes a wasm form's module; nil for native or unresolved.
	info *wasm.Info
}

// problem is err's text without the sentinel's prefix.
func problem(err error) string {
	return strings.TrimPrefix(err.Error(), errkind.ErrNotInstalled.Error()+": ")
}

// locate resolves the mixin name as a run would (run.Locate) and inspects
// an installed wasm form's module. The built-ins are not inspected: they
// are accepted by construction.
func (o Options) locate(ctx context.Context, b *bundle, name string) (resolved, error) {
	dir := o.MixinsDir
	if dir == "" {
		dir = filepath.Join(b.dir, "mixins")
	}
	loc, err := run.Locate(run.LocateOptions{MixinsDir: dir, BuiltIns: o.BuiltIns, PreferNative: o.PreferNative}, name)
	r := resolved{loc: loc, err: err}
	if err != nil || loc.Form != step.FormWasmInstalled {
		return r, nil
	}
	info, err := wasm.Inspect(ctx, o.Version, loc.Wasm)
	if err != nil {
		return r, fmt.Errorf("inspect mixin %s: %w", name, err)
	}
	r.info = &info
	return r, nil
}
