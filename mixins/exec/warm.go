//go:build mixbox_reactor

package exec

// init runs in a reactor's _initialize (a build with -tags mixbox_reactor),
// before the snapshot that every step starts from: parsing a step once here
// fills the caches yaml.v3 and reflect build on first use, which every step
// would otherwise build again after the host restores the instance. A
// command build does not have this file: there, init runs before every step.
func init() {
	_, _ = loadSteps([]byte(warmInput))            // only warming: the steps are not used
	_, _ = loadActionsRoundTrip([]byte(warmInput)) // and the path of steps that are not decoded directly
}
