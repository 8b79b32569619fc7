// Package manifest reads a Porter manifest (porter.yaml) and the subset of a
// CNAB bundle definition (bundle.json) that the runtime needs, with the
// semantics Porter's porter-runtime applies inside an invocation image.
//
// Every top-level key that is not a known manifest field is a custom action.
// Steps keep their original YAML node, so that rendering (package tmpl) sees
// the author's quoting exactly as Porter does:
//
//	m, err := manifest.Load("/cnab/app/porter.yaml")
//	if err != nil {
//		return err
//	}
//	steps, err := m.Steps("install")
//
// # Notes
//
// Parse validates what the runtime relies on: each step has exactly one key,
// names a declared mixin and has a string description; credentials have an
// env or a path. It does not check what only `porter build` checks (semver
// versions, JSON schemas of parameters, image references).
//
// Parse never panics, whatever the input; FuzzParseManifest guards that.
//
// The package reads files only in Load, LoadBundle, LoadDependencies and
// LoadRelocation; everything else works on bytes and values.
package manifest
