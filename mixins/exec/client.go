package exec

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// version metadata printed by `exec-runtime version`.
const (
	Name    = "exec"
	version = "v0.1.0"
	commit  = "mixbox"
	author  = "mixbox authors"
)

// printVersion answers `version [-o|--output plaintext|json]`.
func printVersion(w io.Writer, args []string) error {
	format := "plaintext"
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "--output":
			if i+1 < len(args) {
				i++
				format = args[i]
			}
		case strings.HasPrefix(a, "--output="):
			format = strings.TrimPrefix(a, "--output=")
		case strings.HasPrefix(a, "-o="):
			format = strings.TrimPrefix(a, "-o=")
		}
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(map[string]string{
			"name": Name, "version": version, "commit": commit, "author": author,
		}, "", "  ")
		if err != nil {
			return fmt.Errorf("marshal version: %w", err)
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "plaintext":
		_, err := fmt.Fprintf(w, "%s %s (%s) by %s\n", Name, version, commit, author)
		return err
	}
	return fmt.Errorf("invalid format: %s", format)
}

// lintSteps codes of the exec mixin (Porter's).
const (
	// codeEmbeddedBash warns about `bash -c`.
	codeEmbeddedBash = "exec-100"
	// codeBashCArgMissingQuotes is an error: a `bash -c` value not wrapped in quotes.
	codeBashCArgMissingQuotes = "exec-101"
)

// lintSteps levels (Porter's linter.Level).
const (
	levelError   = 0
	levelWarning = 2
)

// lintResult is one finding, in the JSON shape Porter reads.
type lintResult struct {
	Level    int
	Location lintLocation
	Code     string
	Title    string
	Message  string
	URL      string
}

// lintLocation is the step a finding is about.
type lintLocation struct {
	Action          string
	Mixin           string
	StepNumber      int
	StepDescription string
}

// lintSteps checks the build input ({actions: {ACTION: [steps]}}) for `bash -c`.
func lintSteps(input []byte) ([]lintResult, error) {
	var in struct {
		Actions yaml.Node `yaml:"actions"`
	}
	if err := yaml.Unmarshal(input, &in); err != nil {
		return nil, fmt.Errorf("could not unmarshal the lint input: %w", safeYAMLError(input, err))
	}
	results := make([]lintResult, 0)
	if in.Actions.Kind == 0 {
		return results, nil
	}
	b, err := yaml.Marshal(&in.Actions)
	if err != nil {
		return nil, fmt.Errorf("encode actions: %w", err)
	}
	actions, err := loadActions(b)
	if err != nil {
		return nil, fmt.Errorf("could not unmarshal the lint input: %w", err)
	}
	for _, a := range actions {
		for i, st := range a.Steps {
			s := st.Instruction
			if s.Command != "bash" {
				continue
			}
			var c *cmdFlag
			for j := range s.Flags {
				if s.Flags[j].Name == "c" {
					c = &s.Flags[j]
					break
				}
			}
			if c == nil {
				continue
			}
			loc := lintLocation{Action: a.Name, Mixin: "exec", StepNumber: i + 1, StepDescription: s.Description}
			results = append(results, lintResult{
				Level:    levelWarning,
				Location: loc,
				Code:     codeEmbeddedBash,
				Title:    "Best Practice: Avoid Embedded Bash",
				URL:      "https://getporter.org/best-practices/exec-mixin/#use-scripts",
			})
			for _, v := range c.Values {
				if !wrapped(v, `"`) && !wrapped(v, `'`) {
					results = append(results, lintResult{
						Level:    levelError,
						Location: loc,
						Code:     codeBashCArgMissingQuotes,
						Title:    "bash -c argument missing wrapping quotes",
						Message: `The bash -c flag argument must be wrapped in quotes, for example
exec:
  description: Say Hello
  command: bash
  flags:
    c: '"echo Hello World"'
`,
						URL: "https://getporter.org/best-practices/exec-mixin/#quoting-escaping-bash-and-yaml",
					})
					break
				}
			}
		}
	}
	return results, nil
}

func wrapped(s, q string) bool { return strings.HasPrefix(s, q) && strings.HasSuffix(s, q) }

// PrintLint answers `lint`: the results as indented JSON on w.
func PrintLint(w io.Writer, input []byte) error {
	results, err := lintSteps(input)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("could not marshal lint results: %w", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// Schema returns the JSON schema of the exec mixin's part of porter.yaml.
func Schema() string { return schemaJSON }

const schemaJSON = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "definitions": {
    "installStep": {"type": "object", "properties": {"exec": {"$ref": "#/definitions/exec"}}, "required": ["exec"], "additionalProperties": false},
    "upgradeStep": {"type": "object", "properties": {"exec": {"$ref": "#/definitions/exec"}}, "required": ["exec"], "additionalProperties": false},
    "invokeStep": {"type": "object", "properties": {"exec": {"$ref": "#/definitions/exec"}}, "required": ["exec"], "additionalProperties": false},
    "uninstallStep": {"type": "object", "properties": {"exec": {"$ref": "#/definitions/exec"}}, "required": ["exec"], "additionalProperties": false},
    "stepDescription": {"type": "string", "minLength": 1},
    "outputs": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "jsonPath": {"type": "string"},
          "regex": {"type": "string"},
          "path": {"type": "string"}
        },
        "additionalProperties": false,
        "required": ["name"],
        "oneOf": [{"required": ["jsonPath"]}, {"required": ["regex"]}, {"required": ["path"]}]
      }
    },
    "exec": {
      "type": "object",
      "properties": {
        "description": {"$ref": "#/definitions/stepDescription"},
        "command": {"type": "string"},
        "dir": {"type": "string"},
        "arguments": {"type": "array", "items": {"type": "string", "minItems": 1}},
        "suffix-arguments": {"type": "array", "items": {"type": "string", "minItems": 1}},
        "flags": {"type": "object", "additionalProperties": {"type": ["null", "boolean", "number", "string", "array"]}},
        "envs": {"type": "object", "additionalProperties": {"type": "string"}},
        "outputs": {"$ref": "#/definitions/outputs"},
        "suppress-output": {"type": "boolean"},
        "ignoreError": {
          "type": "object",
          "properties": {
            "all": {"type": "boolean"},
            "exitCodes": {"type": "array", "items": {"type": "integer"}},
            "output": {
              "type": "object",
              "properties": {
                "contains": {"type": "array", "items": {"type": "string"}},
                "regex": {"type": "array", "items": {"type": "string"}}
              },
              "additionalProperties": false
            }
          },
          "additionalProperties": false
        }
      },
      "additionalProperties": false,
      "required": ["command"]
    }
  },
  "type": "object",
  "properties": {
    "install": {"type": "array", "items": {"$ref": "#/definitions/installStep"}},
    "upgrade": {"type": "array", "items": {"$ref": "#/definitions/upgradeStep"}},
    "uninstall": {"type": "array", "items": {"$ref": "#/definitions/uninstallStep"}}
  },
  "additionalProperties": {"type": "array", "items": {"$ref": "#/definitions/invokeStep"}}
}
`
