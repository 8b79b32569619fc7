// Package tmpl builds the template data of a step and renders the step as
// Porter's runtime does: mustache over the step's original YAML text, no HTML
// escaping, a missing variable is an error, and the result is re-parsed as
// YAML (so unquoted numbers and booleans change type), then marshalled as the
// mixin's stdin, {<action>: [<step>]}.
//
// Everything comes in explicitly through Input: the environment, the
// manifest, the optional bundle.json, the outputs of earlier steps. The
// package never reads the process environment.
//
//	res, err := tmpl.RenderStep(ctx, tmpl.Input{
//		Manifest: m, Bundle: b, Action: "install",
//		Env: env, Outputs: outputsSoFar, ResolvePath: underRoot,
//	}, steps[i])
//	if err != nil {
//		return err
//	}
//	// res.Description, res.Stdin, res.Sensitive
//
// # Security
//
// Result.Sensitive lists the values to mask in everything printed while the
// step runs (reference §2.6). Errors name variables and steps, never values.
// Mustache partials ({{> file}}), which would read files from disk, are
// refused.
//
// # Notes
//
// The data is rebuilt for every step, so outputs of earlier steps are
// visible. Some values reproduce Porter's quirks on purpose: an object
// parameter renders as compact JSON but its nested objects render like Go's
// map[k:v]; bundle.images.<alias>.size renders "<uint64 Value>" and .labels
// "<map[string]string Value>".
package tmpl
