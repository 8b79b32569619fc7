//go:build wasip1 && mixbox_reactor && mixbox_image

package guest

// envPerStep declares that every step reads argv and env again (rereadEnv),
// so that the state _initialize leaves does not depend on them and the host
// may keep it across runs (abi-v1 §1a, "Initialization images"). The host
// never calls it. The mixbox_image tag is the mixin author's promise that no
// package initializer keeps argv or env in a variable: the initializers of
// an image see argv ["mixin"] and no environment.
//
//go:wasmexport mixbox_env_per_step
func envPerStep() {} //nolint:unused // exported for the host to see: go:wasmexport exports it
