package manifest

import "errors"

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrInvalidManifest means porter.yaml could not be parsed or breaks a rule
	// the runtime relies on (bad YAML, a step with two mixins, ...).
	ErrInvalidManifest = errors.New("invalid manifest")

	// ErrUnknownAction means the requested action is neither a core action
	// (install, upgrade, uninstall) nor a custom action of the manifest.
	ErrUnknownAction = errors.New("unknown action")

	// ErrUndeclaredMixin means a step uses a mixin missing from `mixins:`.
	ErrUndeclaredMixin = errors.New("undeclared mixin")

	// ErrMalformedCredential means a credential has neither env nor path.
	ErrMalformedCredential = errors.New("malformed credential")

	// ErrInvalidBundle means bundle.json could not be parsed.
	ErrInvalidBundle = errors.New("invalid bundle definition")

	// ErrInvalidImageReference means an image reference could not be parsed.
	ErrInvalidImageReference = errors.New("invalid image reference")

	// ErrTooLarge means porter.yaml or a bundle.json is over MaxFileBytes.
	ErrTooLarge = errors.New("definition file over its size limit")
)
