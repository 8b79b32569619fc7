package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/PaesslerAG/jsonpath"
)

// processOutputs evaluates the step's outputs against stdout in Porter's
// order: every jsonPath output, then every regex one, then every path one.
func (r runner) processOutputs(s Instruction, stdout string) error {
	if err := r.jsonPathOutputs(s.Outputs, stdout); err != nil {
		return err
	}
	if err := r.regexOutputs(s.Outputs, stdout); err != nil {
		return err
	}
	return r.fileOutputs(s.Outputs)
}

// jsonPathOutputs decodes stdout once (numbers kept as written) and writes
// each jsonPath result: maps and arrays as compact JSON, scalars with %v.
// Empty stdout gives an empty output.
func (r runner) jsonPathOutputs(outputs []Output, stdout string) error {
	var doc any
	for _, o := range outputs {
		if o.JSONPath == "" {
			continue
		}
		if r.debug {
			_, _ = fmt.Fprintf(r.stderr, "Processing jsonpath output %s using query %s against document\n%s\n", o.Name, o.JSONPath, stdout)
		}
		if doc == nil && stdout != "" {
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.UseNumber()
			if err := dec.Decode(&doc); err != nil {
				return fmt.Errorf("error unmarshaling stdout as json %s: %w", stdout, err)
			}
		}
		var value []byte
		if doc != nil {
			v, err := jsonpath.Get(o.JSONPath, doc)
			if err != nil {
				return fmt.Errorf("error evaluating jsonpath %q for output %q against %s: %w", o.JSONPath, o.Name, stdout, err)
			}
			value, err = formatJSONValue(v)
			if err != nil {
				return fmt.Errorf("error marshaling jsonpath result for output %q: %w", o.Name, err)
			}
		}
		if err := r.h.SetOutput(o.Name, value); err != nil {
			return fmt.Errorf("error writing mixin output for %q: %w", o.Name, err)
		}
	}
	return nil
}

// formatJSONValue renders a jsonpath result as Porter does.
func formatJSONValue(v any) ([]byte, error) {
	switch v.(type) {
	case map[string]any, []any:
		return json.Marshal(v)
	}
	return []byte(fmt.Sprintf("%v", v)), nil
}

// regexOutputs writes all capture groups of all matches, joined by \n.
func (r runner) regexOutputs(outputs []Output, stdout string) error {
	for _, o := range outputs {
		if o.Regex == "" {
			continue
		}
		re, err := regexp.Compile(o.Regex)
		if err != nil {
			return fmt.Errorf("invalid regular expression %q for output %q: %w", o.Regex, o.Name, err)
		}
		if err := r.h.SetOutput(o.Name, []byte(regexValue(re, stdout))); err != nil {
			return fmt.Errorf("error writing mixin output for %q: %w", o.Name, err)
		}
	}
	return nil
}

// regexValue is the value of a regex output: every capture group of every
// match of re in s (full matches excluded), one per line.
func regexValue(re *regexp.Regexp, s string) string {
	var groups []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		if len(m) > 1 {
			groups = append(groups, m[1:]...)
		}
	}
	return strings.Join(groups, "\n")
}

// fileOutputs copies each path output's file, relative to the working
// directory, byte for byte.
func (r runner) fileOutputs(outputs []Output) error {
	for _, o := range outputs {
		if o.FilePath == "" {
			continue
		}
		b, err := r.h.ReadFile(o.FilePath)
		if err != nil {
			return fmt.Errorf("error evaluating filepath %q for output %q: %w", o.FilePath, o.Name, portableError(err))
		}
		if err := r.h.SetOutput(o.Name, b); err != nil {
			return fmt.Errorf("error writing mixin output for %q: %w", o.Name, err)
		}
	}
	return nil
}

// portableError words a file error as Linux does, so the wasm build (whose
// WASI errors read "No such file or directory") prints Porter's text.
func portableError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: errors.New("no such file or directory")}
		case errors.Is(err, fs.ErrPermission):
			return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: errors.New("permission denied")}
		}
	}
	return err
}
