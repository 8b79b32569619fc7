// Package review reads a bundle for its author before it runs:
// Explain describes it (actions, parameters, credentials, outputs, and the
// form each mixin resolves to here), and Lint finds what would go wrong or
// silently differ when it runs (docs/spec/cli.md, "mixbox explain and
// mixbox lint"):
//
//	x, err := review.Explain(ctx, review.Options{ManifestPath: "porter.yaml", BuiltIns: builtins})
//	findings, err := review.Lint(ctx, review.Options{ManifestPath: "porter.yaml", Schemas: schemas})
//	err = review.WriteFindings(os.Stdout, findings, false)
//
// The bundle directory is the manifest's directory: an author runs these in
// a checkout, not under /cnab/app; a /cnab/app path in the manifest is taken
// in the bundle directory. Mixins resolve as `mixbox run` resolves them
// (run.Locate), with native mixins allowed, as under the default policy.
//
// # Lint codes
//
//	mixbox-100 error    the manifest does not parse (nothing else is checked)
//	mixbox-101 error    a step key the mixin does not know, close to one it does (a typo)
//	mixbox-102 warning  a step key the mixin does not know (it ignores it)
//	mixbox-103 error    a step setting of a type the mixin cannot read (its schema's type)
//	mixbox-104 error    the mixin's own lint cannot read its steps
//	mixbox-110 error    a step's mixin is not declared in mixins:
//	mixbox-111 error    a step's mixin is not installed (found in no place a run looks)
//	mixbox-112 error    a step's mixin is a wasm module this host refuses
//	mixbox-113 warning  a declared mixin no step uses is not installed (Porter refuses to build)
//	mixbox-120 error    a template names a variable that does not exist
//	mixbox-121 error    a template names a parameter that does not apply to the action
//	mixbox-122 error    a template uses an output before any step of the action sets it
//	mixbox-123 warning  a template uses a bundle output that nothing before it sets: it renders null
//	mixbox-130 error    an exec command that is a bundle file without the execute bit
//	mixbox-131 warning  an exec command that names a bundle file that is not there
//	mixbox-140 warning  a wasm mixin declares a grant the default policy does not give
//	mixbox-141 warning  a wasm mixin declares no capabilities: it may run no command
//
// A mixin's own lint (Options.Linters, the protocol of Porter's `NAME lint`)
// adds its codes, e.g. exec-100 and exec-101.
//
// # Notes
//
// Unknown keys are found from a mixin's JSON schema (Options.Schemas, the
// output of Porter's `NAME schema`); for a mixin without one only what every
// step has is read (description, outputs[].name). Templates are read as
// written, unrendered: a key or command that is itself templated is not
// judged. The package runs no mixin and compiles no module.
package review
