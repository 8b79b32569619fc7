//go:build !(wasip1 && mixbox_reactor)

package guest

import "os"

// exit ends a command: native, or a wasm command module (_start).
func exit(code int) { os.Exit(code) }
