// Package policy parses and applies the mixbox capability policy
// (shared/spec/policy.md): what each wasm mixin's exec calls may run, with
// which environment, directories and mounts, and the limits of a step.
//
// Everything not granted is denied. The zero Policy grants nothing.
package policy
