package host

import (
	"context"
	"io"

	"github.com/mixbox/mixbox/host/internal/review"
)

// OutputFormat is how Explain and Findings.Write print.
type OutputFormat int

// Values of OutputFormat.
const (
	// OutputText is for people: tables, one finding per line.
	OutputText OutputFormat = iota
	// OutputJSON is indented JSON.
	OutputJSON
)

// ExplainOptions say which bundle Explain describes and where its mixins
// are. The zero value explains ./porter.yaml.
type ExplainOptions struct {
	// ManifestPath is the manifest; "" is porter.yaml. Its directory is the
	// bundle directory.
	ManifestPath string
	// MixinsDir is where installed mixins are; "" is <bundle>/mixins.
	MixinsDir string
	// Prefer says which form wins when a mixin has both.
	Prefer Prefer
	// Format is how the explanation is written.
	Format OutputFormat
}

// Explain writes to w what the bundle is, as `porter explain` does: name,
// version and description; its actions (core and custom, with their
// descriptions and step counts); parameters, credentials, outputs and
// dependencies; and
// each declared mixin with the form it resolves to here, in the order a
// run resolves it (docs/spec/cli.md). Sensitive defaults are masked. It
// runs and compiles nothing. A manifest that does not parse is an error
// matching ErrManifest.
func (rt *Runtime) Explain(ctx context.Context, opts ExplainOptions, w io.Writer) error {
	x, err := review.Explain(ctx, rt.reviewOptions(opts.ManifestPath, opts.MixinsDir, opts.Prefer))
	if err != nil {
		return err
	}
	return review.WriteExplanation(w, x, opts.Format == OutputJSON)
}

func (rt *Runtime) reviewOptions(manifest, mixinsDir string, prefer Prefer) review.Options {
	return review.Options{
		ManifestPath: manifest,
		MixinsDir:    mixinsDir,
		BuiltIns:     rt.opts.BuiltIns,
		PreferNative: prefer == PreferNative,
		Version:      Version().Version,
	}
}
