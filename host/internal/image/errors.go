package image

import "github.com/mixbox/mixbox/host/internal/errkind"

// ErrInput is wrapped by errors about what the options name: an unknown
// platform, a base or runtime that is missing or not what it must be, a
// malformed output. It is errkind.ErrUsage: the CLI exits 2 on it; any other
// error is a failed build step (exit 1).
var ErrInput = errkind.ErrUsage

// hint returns err carrying what to do about it (errkind.Hint reads it).
func hint(err error, line string) error { return errkind.WithHint(err, line) }

// bad marks err as an error in the build's input, without repeating the
// kind's text.
func bad(err error) error { return errkind.Of(ErrInput, err) }
