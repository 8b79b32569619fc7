// Package policy parses and applies the mixbox capability policy
// (docs/spec/policy.md): what each wasm mixin's exec calls may run, with
// which environment, directories and mounts, and the limits of a step.
//
// Everything not granted is denied. The zero Policy grants nothing.
//
//	p, err := policy.Parse(data)       // --policy FILE; errors wrap ErrInvalid
//	// or p := policy.Default(steps, policy.SecretEnv(m)) // no file: the manifest's exec steps
//	m := p.For("helm3")                 // effective limits merged
//	// or m, err := policy.ParseMixin(node, "policy") // one block alone (a mixin-test case)
//	req := policy.Resolve(execRequest)  // cleaned dir, resolved path
//	if err := m.Check("helm3", req); err != nil {
//		// errors.Is(err, wasmabi.EDenied); err names the rule
//	}
//	out, _ := p.Marshal()               // mixbox run --print-policy
//
// # Security
//
// Check works on the resolved request: a grant of helm does not allow
// /tmp/helm or ../helm, a command containing a slash must resolve under
// /cnab/app, `..` in a dir cannot leave /cnab/app or a granted dir, and
// the keys of RefusedEnv (the loader's LD_*, PATH, shell and interpreter
// start-up hooks; in any letter case) are refused in a request's env even
// when the policy lists them. A mixin never grants itself more than
// Declared allows: under the default policy its own mixbox.mixin section
// yields only named commands and env keys that carry no secret of the run
// (SecretEnv); "*" and a credential's env come only from an operator's
// policy.
//
// # Notes
//
// The package does not look commands up or run them (see hostexec), and it
// does not follow symbolic links: paths are checked as the guest names them.
// A grant that pins a path is checked in two passes: Check before the bare
// name is looked up (Request.Path empty), then again with the path found.
package policy
