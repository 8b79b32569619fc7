package host_test

import "context"

// testCtx is the tests' context (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "host")

// testCtxKey marks the tests\' context.
type testCtxKey struct{}
