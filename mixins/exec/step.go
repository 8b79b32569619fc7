package exec

import (
	"bytes"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// Step is one exec step of an action as Porter sends it: {exec: {...}}.
// The step types are exported, unlike the rest of the package, only because
// their names are Porter's: yaml.v3 quotes them in its errors ("cannot
// unmarshal a !!str into exec.Instruction").
type Step struct {
	Instruction `yaml:"exec"`
}

// Instruction is the body of an exec step (Porter's pkg/exec Instruction).
// Unknown keys are ignored, as Porter does.
type Instruction struct {
	Description     string            `yaml:"description"`
	Command         string            `yaml:"command"`
	WorkingDir      string            `yaml:"dir,omitempty"`
	Arguments       []string          `yaml:"arguments,omitempty"`
	SuffixArguments []string          `yaml:"suffix-arguments,omitempty"`
	Flags           cmdFlags          `yaml:"flags,omitempty"`
	EnvironmentVars map[string]string `yaml:"envs,omitempty"`
	Outputs         []Output          `yaml:"outputs,omitempty"`
	SuppressOutput  bool              `yaml:"suppress-output,omitempty"`
	IgnoreError     IgnoreError       `yaml:"ignoreError,omitempty"`
}

// Output is a step Output: exactly one of JSONPath, Regex or FilePath is
// expected; Porter evaluates whichever are set.
type Output struct {
	Name     string `yaml:"name"`
	FilePath string `yaml:"path,omitempty"`
	JSONPath string `yaml:"jsonPath,omitempty"`
	Regex    string `yaml:"regex,omitempty"`
}

// IgnoreError says which failures of the command do not fail the step.
type IgnoreError struct {
	// All ignores any non-zero exit.
	All bool `yaml:"all,omitempty"`
	// ExitCodes ignores the listed exit codes.
	ExitCodes []int `yaml:"exitCodes,omitempty"`
	// Output ignores a failure by what the command printed on stderr.
	Output IgnoreErrorOutput `yaml:"output,omitempty"`
}

// IgnoreErrorOutput matches the command's stderr.
type IgnoreErrorOutput struct {
	// Contains ignores the error when stderr contains one of the substrings.
	Contains []string `yaml:"contains,omitempty"`
	// Regex ignores the error when stderr matches one of the expressions.
	Regex []string `yaml:"regex,omitempty"`
}

// action is an action name with its steps.
type action struct {
	Name  string
	Steps []Step
}

// loadSteps parses Porter's step input, {ACTION: [steps]}, and returns the
// steps of every action in it (there is one).
func loadSteps(input []byte) ([]Step, error) {
	actions, err := loadActions(input)
	if err != nil {
		// Porter prints the whole input here; mixbox names the line and key
		// instead, so no part of a value (a secret) is quoted.
		return nil, fmt.Errorf("could not unmarshal the step input: %w", err)
	}
	var steps []Step
	for _, a := range actions {
		steps = append(steps, a.Steps...)
	}
	return steps, nil
}

// loadActions decodes {ACTION: [steps]} into actions sorted by name, the
// way Porter's builder.UnmarshalAction does it: through a generic map, then
// each step list re-encoded and decoded into []Step.
func loadActions(input []byte) ([]action, error) {
	var raw map[string][]any
	if err := yaml.Unmarshal(input, &raw); err != nil {
		return nil, fmt.Errorf("could not unmarshal yaml into an action map of exec steps: %w", safeYAMLError(input, err))
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names)
	actions := make([]action, 0, len(names))
	for _, name := range names {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(raw[name]); err != nil {
			return nil, fmt.Errorf("encode steps of %s: %w", name, err)
		}
		var steps []Step
		if err := yaml.Unmarshal(buf.Bytes(), &steps); err != nil {
			return nil, safeYAMLError(buf.Bytes(), err)
		}
		actions = append(actions, action{Name: name, Steps: steps})
	}
	return actions, nil
}

// warmInput is a step that uses every field, parsed once when a reactor
// build initializes (warm.go).
const warmInput = `install:
- exec:
    description: warm up
    command: "true"
    dir: /cnab/app
    arguments: [a]
    suffix-arguments: [b]
    flags: {f: v, l: [x, y]}
    envs: {K: V}
    suppress-output: true
    ignoreError: {all: true, exitCodes: [1], output: {contains: [c], regex: [r]}}
    outputs: [{name: o, regex: x}, {name: p, jsonPath: $.a}, {name: q, path: /f}]
`
