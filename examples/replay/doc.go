// Package replay is an example bundle that runs the helm-like Go mixin with
// `mixbox run --replay-exec`, so the whole flow runs without helm. The
// package holds only its end-to-end test; see README.md.
package replay
