package main

import (
	"fmt"
	"strings"
)

// bundle is a bench bundle: its manifest, bundle.json and other files of
// /cnab/app, and the driver's environment of its install.
type bundle struct {
	manifest string
	json     string            // /cnab/bundle.json, as Porter needs it
	files    map[string]string // more files of /cnab/app, by name (mode 0755)
	copyDir  string            // a directory copied into /cnab/app first, "" for none
	env      []string          // the action's parameters, NAME=VALUE
}

// uninstall is the uninstall action every manifest needs (Porter refuses one
// without).
const uninstall = "uninstall:\n  - exec:\n      description: \"uninstall\"\n      command: \"true\"\n"

// minimalBundleJSON is a bundle.json with no parameters and no outputs.
func minimalBundleJSON(name string) string {
	return fmt.Sprintf(`{"schemaVersion":"1.2.0","name":%q,"version":"0.1.0",`+
		`"invocationImages":[{"image":"localhost:5000/%s:0.1.0","imageType":"docker"}]}`, name, name)
}

// stepsBundle has n exec steps of `true`.
func stepsBundle(n int) bundle {
	var b strings.Builder
	b.WriteString("schemaVersion: 1.0.1\nname: steps\nversion: 0.1.0\nregistry: localhost:5000\nmixins:\n  - exec\ninstall:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - exec:\n      description: \"step %d\"\n      command: \"true\"\n", i+1)
	}
	b.WriteString(uninstall)
	return bundle{manifest: b.String(), json: minimalBundleJSON("steps")}
}

// helloBundle is examples/hello, its parameters set as a driver would.
func helloBundle(repo string) bundle {
	return bundle{
		copyDir: repo + "/examples/hello/bundle",
		json: `{"schemaVersion":"1.2.0","name":"hello","version":"0.1.0",` +
			`"invocationImages":[{"image":"localhost:5000/hello:0.1.0","imageType":"docker"}],` +
			`"definitions":{"name":{"type":"string","default":"mixbox"},` +
			`"token":{"type":"string","default":"not-a-real-secret","writeOnly":true},"greeting":{"type":"string"}},` +
			`"parameters":{"name":{"definition":"name","destination":{"env":"NAME"}},` +
			`"token":{"definition":"token","destination":{"env":"TOKEN"}}},` +
			`"outputs":{"greeting":{"definition":"greeting","applyTo":["install"],"path":"/cnab/app/outputs/greeting"}}}`,
		env: []string{"NAME=bench", "TOKEN=s3cr3t-bench-token"},
	}
}

// outputBundle has one step that prints size bytes of text lines, with
// suppress-output and no outputs.
func outputBundle(size int64) bundle {
	return bundle{
		manifest: fmt.Sprintf(`schemaVersion: 1.0.1
name: output
registry: localhost:5000
version: 0.1.0
mixins:
  - exec
install:
  - exec:
      description: "print %d bytes"
      command: ./print.sh
      suppress-output: true
`+uninstall, size),
		files: map[string]string{"print.sh": fmt.Sprintf("#!/bin/sh\nyes 'a line of output that nobody reads, 64 bytes long, more or less' | head -c %d\n", size)},
		json:  minimalBundleJSON("output"),
	}
}
