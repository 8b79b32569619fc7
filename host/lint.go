package host

import (
	"context"
	"io"

	"github.com/mixbox/mixbox/host/internal/review"
)

// LintOptions say which bundle Lint checks, where its mixins are and what
// is known of them. The zero value lints ./porter.yaml with no mixin
// schema.
type LintOptions struct {
	// ManifestPath is the manifest; "" is porter.yaml. Its directory is the
	// bundle directory.
	ManifestPath string
	// MixinsDir is where installed mixins are; "" is <bundle>/mixins.
	MixinsDir string
	// Prefer says which form wins when a mixin has both.
	Prefer Prefer
	// Schemas are mixins' JSON schemas of their part of porter.yaml (what
	// Porter's `NAME schema` prints), by mixin name: the keys a step of the
	// mixin may have. Without one, a mixin's step keys are not judged.
	Schemas map[string]string
	// Linters are mixins' own linters, by mixin name, in Porter's protocol
	// (`NAME lint`): input {actions: {ACTION: [steps]}} as YAML, output a
	// JSON list of Porter's linter results.
	Linters map[string]func(input []byte) ([]byte, error)
}

// Finding is one problem Lint found, at a line of the manifest.
type Finding struct {
	// Level is "error" or "warning".
	Level string `json:"level"`
	// Code names the kind of problem: mixbox-NNN, or a mixin's own code
	// such as exec-101.
	Code string `json:"code"`
	// File is the manifest as named; Line the 1-based line of the problem.
	File string `json:"file"`
	Line int    `json:"line"`
	// Message says what is wrong, Hint how to fix it.
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// Findings are Lint's findings, by line.
type Findings []Finding

// Lint checks a bundle as `porter lint` does, with mixbox's rules
// (docs/spec/cli.md): unknown step keys, undeclared or missing mixins,
// templates naming nothing, outputs used before they are set, bundle
// scripts without the execute bit, wasm grants the default policy does not
// give, and each mixin's own lint. A manifest that does not parse is one
// error finding at its line. The error is for a manifest that cannot be
// read, or a check that cannot run (a schema that does not parse).
func (rt *Runtime) Lint(ctx context.Context, opts LintOptions) (Findings, error) {
	ro := rt.reviewOptions(opts.ManifestPath, opts.MixinsDir, opts.Prefer)
	ro.Schemas = opts.Schemas
	ro.Linters = make(map[string]review.Linter, len(opts.Linters))
	for name, f := range opts.Linters {
		ro.Linters[name] = f
	}
	found, err := review.Lint(ctx, ro)
	if err != nil {
		return nil, err
	}
	out := make(Findings, 0, len(found))
	for _, f := range found {
		out = append(out, Finding(f))
	}
	return out, nil
}

// HasError reports whether any finding is an error.
func (fs Findings) HasError() bool { return review.HasError(fs.internal()) }

// Summary counts the findings: "no findings", "1 error, 2 warnings".
func (fs Findings) Summary() string { return review.Summary(fs.internal()) }

// Write prints the findings: as text, `LEVEL CODE FILE:LINE: message` then
// a `hint:` line for each; as JSON, a list of {level, code, file, line,
// message, hint}.
func (fs Findings) Write(w io.Writer, format OutputFormat) error {
	return review.WriteFindings(w, fs.internal(), format == OutputJSON)
}

func (fs Findings) internal() []review.Finding {
	out := make([]review.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, review.Finding(f))
	}
	return out
}
