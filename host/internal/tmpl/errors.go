package tmpl

import "errors"

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrMissingVariable means a template names a variable the data lacks.
	ErrMissingVariable = errors.New("missing variable")

	// ErrInvalidTemplate means the step's mustache template does not parse.
	ErrInvalidTemplate = errors.New("invalid template")

	// ErrInvalidRenderedYAML means the rendered step is not valid YAML, e.g.
	// a value containing ": " was substituted in an unquoted position.
	ErrInvalidRenderedYAML = errors.New("invalid step YAML after rendering")

	// ErrNoOutputSource means a templated bundle output or dependency output
	// has no injected value (PORTER_<NAME>_OUTPUT or
	// PORTER_<DEP>_<NAME>_DEP_OUTPUT is not set).
	ErrNoOutputSource = errors.New("no parameter source was injected")
)
