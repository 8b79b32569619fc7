// Package run runs one action of a Porter bundle: it is the orchestration
// behind host.Runtime.Run. A run loads the manifest (and bundle.json),
// prepares the environment as a CNAB driver would, plans every step's mixin,
// unpacks the previous state, renders and runs each step in turn, applies its
// outputs, and always finishes by writing file outputs and porter-state.
//
//	rep, err := run.Run(ctx, run.Deps{Modules: store, BuiltIns: builtins},
//		run.Config{Root: root, Action: "install", Stdout: os.Stdout})
//
// Everything of one run — its mask set, log, recorder or replayer, the exec
// grants its rendered steps add, its outputs so far — lives in one session
// value created by Run and passed down. Deps holds only what outlives a run
// (compiled modules, built-ins, the logger), so several runs may use the same
// Deps at once.
//
// # Security
//
// A session holds two mask sets: the run's secrets (credentials, sensitive
// parameters and their object leaves, sensitive file parameters), which mask
// everything the run prints and the error Run returns, and the values
// mixins chose (what they mask, undeclared step outputs), which mask only
// what mixins print — so a mixin cannot scrub mixbox's own lines. Mixbox's
// lines about a running step (denials, caps) reach the log through
// step.IO.Log. A wasm mixin's own declaration is granted only as the
// default policy allows (policy.Declared), and the run log says what was
// not granted. A wasm mixin's exec calls run under its policy
// (docs/spec/policy.md); a native mixin is not sandboxed, and the run log says
// so.
package run
