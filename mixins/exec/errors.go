package exec

import "errors"

// Sentinel errors of the exec mixin. Their texts are Porter's.
var (
	// errSingleStep is returned when the input does not hold exactly one step.
	errSingleStep = errors.New("expected a single step")
	// errUnknownCommand is returned for a command the mixin does not have.
	errUnknownCommand = errors.New("unknown command")

	// errUnmatchedQuote stops findWords, which then keeps the chunk whole.
	errUnmatchedQuote = errors.New("unmatched quote found")
)
